"""The dashboard's content form shows one language (the default's text); saving it keeps the
texts the organizer gave in other languages through the admin API. A survey, question, option
or card is the same one when its id is (the form keeps ids)."""

from __future__ import annotations

from dataclasses import replace

from waitroom.fan.survey_definitions import Option, Question, Survey
from waitroom.fan.upsell_definitions import Upsell


def _option(edit: Option, stored: Question | None) -> Option:
    before = next((item for item in stored.options if item.id == edit.id), None) if stored else None
    return replace(edit, label=before.label.edited(edit.label)) if before else edit


def _question(edit: Question, stored: Survey | None) -> Question:
    before = stored.question(edit.id) if stored else None
    options = tuple(_option(option, before) for option in edit.options)
    if before is None:
        return replace(edit, options=options)
    return replace(edit, text=before.text.edited(edit.text), options=options)


def surveys_keeping_languages(
    edits: tuple[Survey, ...], stored: tuple[Survey, ...]
) -> tuple[Survey, ...]:
    by_id = {survey.id: survey for survey in stored}
    kept = []
    for edit in edits:
        before = by_id.get(edit.id)
        questions = tuple(_question(question, before) for question in edit.questions)
        title = before.title.edited(edit.title) if before else edit.title
        kept.append(replace(edit, title=title, questions=questions))
    return tuple(kept)


def upsells_keeping_languages(
    edits: tuple[Upsell, ...], stored: tuple[Upsell, ...]
) -> tuple[Upsell, ...]:
    by_id = {upsell.id: upsell for upsell in stored}
    kept = []
    for edit in edits:
        before = by_id.get(edit.id)
        if before is None:
            kept.append(edit)
            continue
        kept.append(
            replace(
                edit,
                title=before.title.edited(edit.title),
                description=before.description.edited(edit.description),
            )
        )
    return tuple(kept)
