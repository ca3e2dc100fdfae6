"""What each kind of notification says, to whom it matters, and on which channels it goes by default.
Titles and texts are rendered when a message is sent, in the recipient's language (Flask-Babel)."""

from flask_babel import lazy_gettext as _l

# kind: (title, text, default channels besides the inbox)
KINDS = {
    "inquiry_received": (_l("New question %(reference)s for %(home)s"),
                         _l("A family has written to %(home)s. Please reply within two working days."),
                         ("email", "sms")),
    "visit_requested": (_l("Visit request %(reference)s for %(home)s on %(date)s"),
                        _l("A family would like to visit %(home)s on %(date)s (%(slot)s). Please confirm or "
                           "suggest another time within two working days."),
                        ("email", "sms")),
    "inquiry_reply": (_l("New reply on %(reference)s"),
                      _l("There is a new message about %(home)s in conversation %(reference)s."),
                      ("email",)),
    "visit_confirmed": (_l("Visit confirmed: %(home)s on %(date)s"),
                        _l("%(home)s has confirmed your visit on %(date)s (%(slot)s). The calendar file is "
                           "attached."),
                        ("email", "sms")),
    "visit_declined": (_l("Visit not possible: %(home)s on %(date)s"),
                       _l("%(home)s cannot receive you on %(date)s. Read their message and choose another day."),
                       ("email", "sms")),
    "review_published": (_l("Your review of %(home)s is published"),
                         _l("Your review of %(home)s can now be read by other families."),
                         ("email",)),
    "review_folded": (_l("Your review of %(home)s was folded"),
                      _l("A regulator folded your review of %(home)s. You can read the reason and appeal."),
                      ("email",)),
    "review_removed": (_l("Your review of %(home)s was removed"),
                       _l("A regulator removed your review of %(home)s. You can read the reason and appeal."),
                       ("email",)),
    "appeal_decided": (_l("Your appeal about %(home)s has been decided"),
                       _l("A second regulator has decided your appeal about your review of %(home)s."),
                       ("email",)),
    "shortlist_home_changed": (_l("%(home)s on your shortlist has changed"),
                               _l("%(home)s, a home on your shortlist, has a change: %(what)s. Open its page to see "
                                  "what it is now."),
                               ("email",)),
    "claim_filed": (_l("Another operator has claimed %(home)s"),
                    _l("Another operator has asked to manage %(home)s. If a regulator approves the claim, you will "
                       "be told and can dispute it within %(days)s working days."),
                    ("email",)),
    "claim_approved_against": (_l("A claim on %(home)s was approved: it moves on %(date)s"),
                               _l("A regulator approved another operator's claim to manage %(home)s. It takes "
                                  "effect on %(date)s unless you dispute it in the provider portal before then."),
                               ("email", "sms")),
    "claim_approved": (_l("Your claim to manage %(home)s was approved"),
                       _l("A regulator approved your operator's claim to manage %(home)s. Where another operator runs "
                          "it, the home moves to you once the period to dispute the claim has passed."),
                       ("email",)),
    "claim_rejected": (_l("Your claim to manage %(home)s was not approved"),
                       _l("A regulator did not approve your operator's claim to manage %(home)s. The provider portal "
                          "shows the reason."),
                       ("email",)),
    "claim_waiting": (_l("A claim on %(home)s is waiting for your decision"),
                      _l("An operator's claim to manage %(home)s is waiting for a regulator's decision."),
                      ("email",)),
    "appeal_waiting": (_l("An appeal about a review of %(home)s is waiting for your decision"),
                       _l("The author of a review of %(home)s has appealed a regulator's decision. A regulator other "
                          "than the one who decided must decide the appeal."),
                       ("email",)),
    "review_flood_flagged": (_l("Many reviews of %(home)s at once: flagged"),
                             _l("Screening flagged an unusual number of reviews of %(home)s, or from one address or "
                                "device. They wait in the moderation queue."),
                             ("email",)),
    "import_quarantined": (_l("Import finished: %(count)s rows set aside"),
                           _l("Your import from %(source)s has finished, and %(count)s rows were set aside. Fix or "
                              "dismiss them in the quarantine."),
                           ("email",)),
    "api_credentials_expiring": (_l("API client %(client)s expires on %(date)s"),
                                 _l("The secret of API client %(client)s stops working on %(date)s. Create a new "
                                    "client in the provider portal and move your system to it before then."),
                                 ("email",)),
    "saved_search_match": (_l("A home now matches your search %(search)s"),
                           _l("%(home)s now matches your saved search %(search)s."), ("email",)),
    "saved_search_digest": (_l("%(count)s homes now match your saved searches"),
                            _l("New matches: %(homes)s."), ("email",)),
}


def kind_label(kind):
    """The kind's name on the preferences page: its title without the names in it."""
    return KIND_LABELS[kind]


KIND_LABELS = {
    "inquiry_received": _l("A family sends a question to my home"),
    "visit_requested": _l("A family asks to visit my home"),
    "inquiry_reply": _l("A new reply in one of my conversations"),
    "visit_confirmed": _l("A home confirms my visit"),
    "visit_declined": _l("A home cannot receive my visit"),
    "review_published": _l("My review is published"),
    "review_folded": _l("My review is folded"),
    "review_removed": _l("My review is removed"),
    "appeal_decided": _l("My appeal is decided"),
    "shortlist_home_changed": _l("A home on my shortlist changes its price, free beds, grade or quality rating"),
    "claim_filed": _l("Another operator claims one of my homes"),
    "claim_approved_against": _l("A claim on one of my homes is approved"),
    "claim_approved": _l("My operator's claim to a home is approved"),
    "claim_rejected": _l("My operator's claim to a home is not approved"),
    "claim_waiting": _l("A claim waits for my decision"),
    "appeal_waiting": _l("An appeal waits for my decision"),
    "review_flood_flagged": _l("A flood of reviews is flagged"),
    "import_quarantined": _l("My import set rows aside"),
    "api_credentials_expiring": _l("An API client's secret is about to expire"),
    "saved_search_match": _l("A home starts to match one of my saved searches"),
    "saved_search_digest": _l("The digest of my saved searches"),
}


# who can receive a kind (a kind not named here: everyone), so the settings show each person only what concerns them
AUDIENCE = {
    "inquiry_received": ("provider",), "visit_requested": ("provider",),
    "visit_confirmed": ("family",), "visit_declined": ("family",),
    "review_published": ("family",), "review_folded": ("family",), "review_removed": ("family",),
    "appeal_decided": ("family",),
    "claim_filed": ("provider",), "claim_approved_against": ("provider",), "claim_approved": ("provider",),
    "claim_rejected": ("provider",), "api_credentials_expiring": ("provider",),
    "claim_waiting": ("regulator",), "appeal_waiting": ("regulator",), "review_flood_flagged": ("regulator",),
    "import_quarantined": ("regulator", "admin"),
    "saved_search_match": ("family",), "saved_search_digest": ("family",),
}


def kinds_for(user):
    """The kinds USER can receive, in KINDS order."""
    return [kind for kind in KINDS if user.role in AUDIENCE.get(kind, (user.role,))]
