"""Continuation tokens of `GET /batches/{id}/results` against a mocked Table client.

Azurite accepts any continuation keys; Azure Storage answers 400 to keys it cannot parse.
A forged token that decodes to such keys must be the caller's 400 (`InvalidContinuationToken`),
not a storage error that surfaces as a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.data.tables import TableClient
from pytest_mock import MockerFixture

from shared import batch_store
from shared.batch_store import InvalidContinuationToken

#: Well-formed as far as this app can tell (base64 JSON of the two keys), garbage to Azure.
FORGED = batch_store.encode_continuation({"PartitionKey": "1!8!bm9wZQ--", "RowKey": "%%%"})


def storage_error(status: int) -> HttpResponseError:
    """What azure-data-tables raises for an error answer of the service."""
    error = HttpResponseError(message="One of the request inputs is not valid.")
    error.status_code = status
    return error


def results_table_answering(mocker: MockerFixture, error: Exception) -> Any:
    """Patch the results table with a client whose query fails when its first page is read."""
    client = mocker.create_autospec(TableClient, instance=True)
    pages = mocker.MagicMock()
    pages.__next__.side_effect = error  # the request happens when the first page is read
    client.query_entities.return_value.by_page.return_value = pages
    mocker.patch.object(batch_store, "_results", return_value=client)
    return client


def test_a_token_azure_storage_refuses_is_an_invalid_token(mocker: MockerFixture) -> None:
    client = results_table_answering(mocker, storage_error(400))

    with pytest.raises(InvalidContinuationToken, match="continuationToken") as caught:
        batch_store.list_results("b1", None, 10, FORGED)

    assert isinstance(caught.value.__cause__, HttpResponseError)
    client.query_entities.return_value.by_page.assert_called_once_with(
        continuation_token={"PartitionKey": "1!8!bm9wZQ--", "RowKey": "%%%"}
    )


def test_a_400_without_a_token_is_not_blamed_on_one(mocker: MockerFixture) -> None:
    results_table_answering(mocker, storage_error(400))

    with pytest.raises(HttpResponseError):
        batch_store.list_results("b1", None, 10, None)


@pytest.mark.parametrize("status", [403, 404, 500, 503])
def test_other_storage_errors_keep_their_type_with_a_token(
    mocker: MockerFixture, status: int
) -> None:
    """Only the 400 is the token's fault; throttling or an outage is not the caller's."""
    results_table_answering(mocker, storage_error(status))

    with pytest.raises(HttpResponseError) as caught:
        batch_store.list_results("b1", None, 10, FORGED)

    assert not isinstance(caught.value, InvalidContinuationToken)
