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
}
