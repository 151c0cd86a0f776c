"""A minimal browser for tests over real HTTP: a requests.Session that reads HTML forms and
submits them the way a browser would (hidden fields, ticked boxes, the pressed button), so tests
walk the site and the sandbox's consent page without knowing their field names."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Control:
    tag: str
    type: str
    name: str
    value: str
    checked: bool
    disabled: bool = False
    label: str = ""


@dataclass
class Form:
    action: str
    method: str
    controls: list[Control] = field(default_factory=list)

    def buttons(self) -> list[Control]:
        return [c for c in self.controls if c.tag == "button" or c.type == "submit"]

    def button_labels(self) -> list[str]:
        return [b.label or b.value for b in self.buttons()]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._button: Control | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                Form(attributes.get("action", ""), attributes.get("method", "get").lower())
            )
        elif tag in {"input", "button"} and self.forms:
            default_type = "submit" if tag == "button" else "text"
            control = Control(
                tag=tag,
                type=attributes.get("type", default_type).lower(),
                name=attributes.get("name", ""),
                value=attributes.get("value", "on" if tag == "input" else ""),
                checked="checked" in attributes,
                disabled="disabled" in attributes,
            )
            self.forms[-1].controls.append(control)
            if tag == "button":
                self._button = control

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.label += data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._button = None


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class Browser:
    """Follows redirects itself, so each hop (the redirect to TikTok, the callback) is visible."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.history: list[requests.Response] = []

    def get(self, url: str, **kwargs: object) -> requests.Response:
        return self._follow(self.session.get(url, allow_redirects=False, timeout=30, **kwargs))

    def submit(
        self,
        response: requests.Response,
        button: str,
        *,
        data: dict[str, str | list[str]] | None = None,
        uncheck: set[str] = frozenset(),
        check: set[str] = frozenset(),
        follow: bool = True,
    ) -> requests.Response:
        """Submits the form of `response` that has a button labelled `button`.

        `data` replaces fields by name; `uncheck`/`check` untick or tick checkboxes by value.
        """
        form = next((f for f in parse_forms(response.text) if button in f.button_labels()), None)
        if form is None:
            raise AssertionError(f"No form with a {button!r} button on {response.url}")
        fields = self._fields(form, button, uncheck, check)
        fields.update(data or {})
        url = urljoin(response.url, form.action or response.url)
        headers = {"Referer": response.url}
        if form.method == "post":
            answer = self.session.post(
                url, data=fields, headers=headers, allow_redirects=False, timeout=30
            )
        else:
            answer = self.session.get(
                url, params=fields, headers=headers, allow_redirects=False, timeout=30
            )
        return self._follow(answer) if follow else answer

    def follow(self, response: requests.Response) -> requests.Response:
        return self._follow(response)

    @staticmethod
    def _fields(
        form: Form, button: str, uncheck: set[str], check: set[str]
    ) -> dict[str, str | list[str]]:
        fields: dict[str, list[str]] = {}
        radios_seen: set[str] = set()
        for control in form.controls:
            if not control.name or control.disabled:
                continue
            if control in form.buttons():
                if (control.label or control.value) == button:
                    fields.setdefault(control.name, []).append(control.value)
                continue
            if control.type == "checkbox":
                ticked = (
                    control.checked or control.value in check
                ) and control.value not in uncheck
                if ticked:
                    fields.setdefault(control.name, []).append(control.value)
            elif control.type == "radio":
                if control.checked or control.value in check:
                    fields[control.name] = [control.value]
                    radios_seen.add(control.name)
            else:
                fields.setdefault(control.name, []).append(control.value)
        # A radio group with nothing ticked: a person would pick the first option.
        for control in form.controls:
            if control.type == "radio" and control.name not in radios_seen:
                fields[control.name] = [control.value]
                radios_seen.add(control.name)
        return {name: values if len(values) > 1 else values[0] for name, values in fields.items()}

    def _follow(self, response: requests.Response) -> requests.Response:
        self.history.append(response)
        while response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            response = self.session.get(location, allow_redirects=False, timeout=30)
            self.history.append(response)
        return response

    def visited(self, fragment: str) -> list[requests.Response]:
        return [r for r in self.history if fragment in r.url]
