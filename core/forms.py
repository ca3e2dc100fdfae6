"""Form helpers every HTML blueprint shares."""


def add_field_errors(form, fields):
    """Show a ServiceError's per-field messages (FIELDS: {name: [message, ...]}) next to FORM's fields."""
    for name, messages in (fields or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)


def show_service_error(form, exc, unknown_on=None):
    """Show ServiceError EXC on FORM: each field's messages beside that field, messages for names the form does
    not have on the field UNKNOWN_ON (or at the top of the form when None), and EXC's message at the top.

    With UNKNOWN_ON, an error without field messages is also shown beside that field (next to the button).
    """
    fields = exc.fields or ({"": [exc.message]} if unknown_on else {})
    for name, messages in fields.items():
        messages = list(messages) if isinstance(messages, list | tuple) else [str(messages)]
        field = getattr(form, name, None) if name else None
        if field is None or not hasattr(field, "errors"):
            field = getattr(form, unknown_on) if unknown_on else None
        if field is None:
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages]
    form.form_errors.append(exc.message)
