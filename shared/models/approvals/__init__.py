"""Contracts of the expense approval (human interaction), by boundary.

The approval escalates through an ordered chain of approvers (`http` starts it and takes
decisions; `workflow` is the orchestration's input, events, status and result; `activities`
the notices it sends). Who asks and who decides are e-mail addresses kept in the approvals
table (`shared.approval_store`), never in history. `expense` holds what all share.
"""
