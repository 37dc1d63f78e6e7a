"""Form widgets every app's pages share."""

from django import forms


class DateInput(forms.DateInput):
    """A browser date picker. Its value must be ISO 8601 whatever the language: an en-gb `01/03/2026` in an
    `<input type="date">` is invalid, and the browser shows the field empty (the prefilled audit period was lost)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
