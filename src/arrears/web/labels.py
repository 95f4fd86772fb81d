"""English display labels (gettext message ids) for the codes stored in the database.

Pages show `code|label`: the English label here, translated through the catalog. A code with no label is
shown as it is, so a new code never breaks a page (tests/unit/test_i18n.py checks every label is translated).
"""

from __future__ import annotations

LABELS: dict[str, str] = {
    # products and loan sub-types
    "credit_card": "Credit card",
    "consumer_loan": "Consumer loan",
    "business_receivable": "Business receivable",
    "salary": "Salary-backed loan",
    "professional": "Professional loan",
    "small_business": "Small-business loan",
    # debtor kinds
    "person": "Person",
    "company": "Company",
    # case statuses, hold and close reasons
    "open": "Open",
    "on_hold": "On hold",
    "placed": "Placed with agency",
    "closed": "Closed",
    "paid": "Paid",
    "settled": "Settled",
    "written_off": "Written off",
    "dispute": "Dispute",
    "fraud": "Fraud claim",
    "complaint": "Complaint",
    "bankruptcy": "Bankruptcy",
    "death": "Death",
    "legal": "Legal representation",
    "cease": "Cease request",
    # account statuses
    "active": "Active",
    # relationships
    "self": "Debtor (self)",
    "spouse": "Spouse",
    "parent": "Parent",
    "relative": "Relative",
    "employer": "Employer",
    "colleague": "Colleague",
    "friend": "Friend",
    "payables": "Payables contact",
    "finance": "Finance contact",
    "owner": "Owner",
    "other_role": "Other role",
    # channels
    "phone": "Phone",
    "email": "E-mail",
    "address": "Address",
    # contact sources and consents
    "debtor_provided": "Given by the debtor",
    "contract": "Contract",
    "debtor_update": "Updated by the debtor on a call",
    "public_registry": "Public registry",
    "debtor_gave": "Debtor consented",
    "contract_names": "Named in the contract",
    "public_record": "Public record",
    # contact statuses
    "unverified": "Unverified",
    "valid": "Valid",
    "invalid": "Invalid",
    "wrong_party": "Wrong party",
    "do_not_contact": "Do not contact",
    # identity documents
    "resident_id": "Resident identity card",
    "passport": "Passport",
    "uscc": "Unified social credit code",
    # time zone sources
    "given": "Given",
    "default": "Default",
    # payment channels and statuses
    "bank_transfer": "Bank transfer",
    "wechat_pay": "WeChat Pay",
    "alipay": "Alipay",
    "cheque": "Cheque",
    "cash": "Cash",
    "card": "Card",
    "posted": "Posted",
    "reversed": "Reversed",
    # import batches
    "accounts": "Accounts",
    "contacts": "Contacts",
    "payments": "Payments",
    "committed": "Committed",
    "rejected": "Rejected",
    "quarantined": "Quarantined",
    # write-off bucket
    "WO": "Write-off",
}

SORT_LABELS: dict[str, str] = {
    "-dpd": "Days past due, highest first",
    "dpd": "Days past due, lowest first",
    "-outstanding": "Outstanding, highest first",
    "outstanding": "Outstanding, lowest first",
    "name": "Name, A to Z",
    "-name": "Name, Z to A",
    "external_id": "Debtor ID, ascending",
    "-external_id": "Debtor ID, descending",
}

LANGUAGE_NAMES: dict[str, str] = {"zh-CN": "中文", "en": "English"}


def label(code: str | None) -> str:
    """The English label of a stored code (the code itself when unknown)."""
    if code is None:
        return ""
    return LABELS.get(code, code)
