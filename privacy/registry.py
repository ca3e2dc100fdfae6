"""Every column that points at a person, and what export and deletion do with it. A new table with a user
reference must be added here, or tests/privacy/test_registry.py fails: nothing about a person is forgotten.

Modes:
  delete    the rows are the person's own and go with the account (notifications, votes, tokens)
  unlink    the row stays (a published review, a report) and no longer names the person
  erase     the row stays for the other party, its personal fields are wiped (see services.ERASE)
  actor     the person acted as staff (a regulator's decision, a recorded inspection): the audit trail keeps the
            id, which after deletion points at an anonymous account, never at a name
"""

PERSONAL_COLUMNS = {
    ("inquiries", "user_id"): "erase",
    ("inquiry_messages", "author_id"): "erase",
    ("notifications", "user_id"): "delete",
    ("notification_preferences", "user_id"): "delete",
    ("notification_settings", "user_id"): "delete",
    ("saved_searches", "user_id"): "delete",  # with their matches (saved_search_matches cascades)
    ("password_reset_tokens", "user_id"): "delete",
    ("shortlist_entries", "user_id"): "delete",  # the person's shortlist and private notes
    ("review_helpful_votes", "user_id"): "delete",
    ("privacy_consents", "user_id"): "actor",  # kept: proof of what was agreed, about an anonymous account
    ("reviews", "author_id"): "unlink",
    ("review_appeals", "author_id"): "unlink",
    ("review_reports", "reporter_id"): "unlink",
    ("review_replies", "author_id"): "unlink",
    ("quality_provider_responses", "author_id"): "unlink",
    ("providers", "verified_by_id"): "actor",
    ("api_clients", "created_by_id"): "actor",
    ("api_clients", "revoked_by_id"): "actor",
    ("home_claims", "created_by_id"): "actor",
    ("home_claims", "decided_by_id"): "actor",
    ("home_claims", "disputed_by_id"): "actor",  # the operator's staff who disputed an approved claim
    ("home_designations", "declared_by_id"): "actor",
    ("home_designations", "confirmed_by_id"): "actor",
    ("home_photos", "uploaded_by_id"): "actor",
    ("ingest_files", "uploaded_by_id"): "actor",
    ("ingest_runs", "started_by_id"): "actor",
    ("ingest_conflicts", "resolved_by_id"): "actor",
    ("ingest_quarantine", "resolved_by_id"): "actor",
    ("ingest_source_mappings", "created_by_id"): "actor",  # a regulator saved a column mapping (issue 12)
    ("ingest_source_mapping_versions", "saved_by_id"): "actor",
    ("listing_changes", "user_id"): "actor",
    ("policy_fact_versions", "published_by_id"): "actor",
    ("quality_grade_certificates", "recorded_by_id"): "actor",
    ("quality_inspections", "recorded_by_id"): "actor",
    ("quality_sanctions", "recorded_by_id"): "actor",
    ("quality_staffing_reports", "reported_by_id"): "actor",
    ("quality_staffing_reports", "checked_by_id"): "actor",
    ("review_appeals", "appealed_decider_id"): "actor",
    ("review_appeals", "decided_by_id"): "actor",
    ("review_audit_log", "actor_id"): "actor",
    ("review_replies", "decided_by_id"): "actor",
    ("review_reports", "resolved_by_id"): "actor",
    ("review_verification_codes", "issued_by_id"): "actor",
    ("review_verifications", "verified_by_id"): "actor",
}

# the account itself: what export shows of it (never the password hash)
USER_FIELDS = ("id", "email", "mobile", "display_name", "role", "provider_id", "jurisdiction_code", "active",
               "created_at", "last_login_at", "failed_logins", "last_failed_login_at", "oidc_issuer")


def user_references(metadata):
    """Every (table, column) in METADATA with a foreign key to users.id."""
    return {(t.name, c.name) for t in metadata.sorted_tables for c in t.columns
            for fk in c.foreign_keys if fk.column.table.name == "users"}
