from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from exports.datasets import ShareFormat
from exports.scopes import (
    DATA_KIND_HELP,
    FREQUENCY_HELP,
    DataFormat,
    DataKind,
    Frequency,
)


class ChooseDataForm(forms.Form):
    """The "choose what to export" step before signing in with TikTok."""

    kinds = forms.MultipleChoiceField(
        label=_("What may this site export?"),
        choices=DataKind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of data.")},
    )
    frequency = forms.ChoiceField(
        label=_("How often?"),
        choices=Frequency.choices,
        widget=forms.RadioSelect,
        initial=Frequency.SINGLE,
        error_messages={"required": _("Choose once or ongoing.")},
    )
    # Set by the landing page's form: the export of what was chosen starts as soon as TikTok
    # sends the person back. The dashboard's "Allow more" only allows.
    export_now = forms.BooleanField(required=False, initial=False, widget=forms.HiddenInput)

    def kind_options(self) -> list[tuple[Any, str]]:
        """Each checkbox with the sentence that says what it covers."""
        return [(box, DATA_KIND_HELP[box.data["value"]]) for box in self["kinds"]]

    def frequency_options(self) -> list[tuple[Any, str]]:
        return [(radio, FREQUENCY_HELP[radio.data["value"]]) for radio in self["frequency"]]


class NewExportForm(forms.Form):
    """Asking for an export: which kinds of data, in which format. Kinds the person has not
    allowed yet may be chosen too: TikTok is then asked for them first (with `frequency`), and
    the export starts when TikTok sends the person back."""

    kinds = forms.MultipleChoiceField(
        label=_("What should the export contain?"),
        choices=DataKind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of data.")},
    )
    data_format = forms.ChoiceField(
        label=_("Format"),
        choices=DataFormat.choices,
        widget=forms.RadioSelect,
        initial=DataFormat.JSON,
        error_messages={"required": _("Choose JSON or text.")},
    )
    frequency = forms.ChoiceField(
        label=_("If TikTok must ask you first: allow it"),
        choices=Frequency.choices,
        widget=forms.RadioSelect,
        initial=Frequency.SINGLE,
        required=False,
    )

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed = allowed

    def kind_options(self) -> list[tuple[Any, str, bool]]:
        """Each checkbox, the sentence that says what it covers, and whether it is allowed
        already (if not, TikTok asks the person to confirm first)."""
        return [
            (box, DATA_KIND_HELP[box.data["value"]], box.data["value"] in self.allowed)
            for box in self["kinds"]
        ]

    def frequency_options(self) -> list[tuple[Any, str]]:
        return [(radio, FREQUENCY_HELP[radio.data["value"]]) for radio in self["frequency"]]

    def clean_frequency(self) -> str:
        return self.cleaned_data.get("frequency") or Frequency.SINGLE


class ApiTokenForm(forms.Form):
    """Making a personal API token for a service the person chooses."""

    VALIDITY_DAYS = {"30": 30, "90": 90, "365": 365, "never": None}

    name = forms.CharField(
        label=_("What is it for?"),
        max_length=64,
        help_text=_("A name to recognise it by, such as the service you give it to."),
        error_messages={"required": _("Give the token a name.")},
    )
    valid_for = forms.ChoiceField(
        label=_("Valid for"),
        choices=[
            ("30", _("30 days")),
            ("90", _("90 days")),
            ("365", _("A year")),
            ("never", _("Until I revoke it")),
        ],
        initial="90",
        widget=forms.RadioSelect,
    )

    def validity(self) -> dt.timedelta | None:
        days = self.VALIDITY_DAYS[self.cleaned_data["valid_for"]]
        return dt.timedelta(days=days) if days else None


class PeriodForm(forms.Form):
    """A range of days to look at (both ends included, either left open), in the explorer."""

    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the first day as a date.")},
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the last day as a date.")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The first day comes after the last one."))
        return cleaned


class OverviewForm(PeriodForm):
    """The overview's period and the gap that ends a viewing session."""

    gap = forms.TypedChoiceField(
        label=_("A session ends after a pause of"),
        choices=[],
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args: Any, gaps: tuple[int, ...], default_gap: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["gap"].choices = [
            (
                minutes,
                ngettext("%(minutes)d minute", "%(minutes)d minutes", minutes)
                % {"minutes": minutes},
            )
            for minutes in gaps
        ]
        self.fields["gap"].initial = default_gap


class BrowseForm(PeriodForm):
    """A page of a table: its period, a search, the order and where the last page ended."""

    ORDER_CHOICES = [("newest", _("Newest first")), ("oldest", _("Oldest first"))]

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search"}),
        error_messages={"max_length": _("Search for at most %(limit_value)d characters.")},
    )
    order = forms.ChoiceField(
        label=_("Order"), choices=ORDER_CHOICES, required=False, initial="newest"
    )
    # Checked where it is read (explorer.Cursor.decode), so a bad one gets the page's message.
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    @property
    def newest_first(self) -> bool:
        return self.cleaned_data.get("order") != "oldest"


class ShareForm(PeriodForm):
    """What a reviewed share holds: which data sets, which days, in which form."""

    datasets = forms.MultipleChoiceField(
        label=_("Data to share"),
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of data.")},
    )
    file_format = forms.ChoiceField(
        label=_("As"), choices=[], widget=forms.RadioSelect, initial="csv"
    )

    def __init__(self, *args: Any, datasets: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["datasets"].choices = datasets
        self.fields["file_format"].choices = ShareFormat.choices


class OfferShareForm(forms.Form):
    """Offering a share to the holder of one of the person's API tokens (or to none)."""

    token = forms.TypedChoiceField(
        label=_("Offer it to the service holding the token"),
        choices=[],
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args: Any, tokens: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["token"].choices = [("", _("No service")), *tokens]
