def reads(table, service, order_id, kind):
    # ruleid: table-filter-from-strings
    table.query_entities(f"PartitionKey eq '{order_id}'")
    # ruleid: table-filter-from-strings
    table.query_entities("PartitionKey eq '" + order_id + "'")
    # ruleid: table-filter-from-strings
    table.query_entities(query_filter="RowKey eq '{}'".format(order_id))
    # ruleid: table-filter-from-strings
    service.query_tables("TableName eq '%s'" % kind)
    query = f"PartitionKey eq '{order_id}'"
    # ruleid: table-filter-from-strings
    table.query_entities(query, select=["RowKey"])

    # ok: table-filter-from-strings
    table.query_entities("PartitionKey eq @pk", parameters={"pk": order_id})
    fixed = "PartitionKey eq @pk"
    fixed += " and Kind eq @kind"
    # ok: table-filter-from-strings
    table.query_entities(fixed, parameters={"pk": order_id, "kind": kind})
    # ok: table-filter-from-strings
    table.query_entities("PartitionKey eq @pk" + " and Kind eq @kind", parameters={})
