"""What a fan learns after answering a quiz: per question, their answer, the right one, and
whether theirs was right (pure functions; the page and the answers endpoint show it).

Questions with options are scored: an answer is right when it chose exactly the correct
options. Free-text questions of a quiz are not scored and not reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from waitroom.fan.survey_definitions import Option, Question, Survey

Answers = dict[str, str | list[str]]


@dataclass(frozen=True, slots=True)
class QuestionReview:
    question: Question
    chosen: tuple[Option, ...]
    correct: tuple[Option, ...]

    @property
    def is_correct(self) -> bool:
        return {option.id for option in self.chosen} == {option.id for option in self.correct}

    def document(self) -> dict[str, Any]:
        return {
            "question_id": self.question.id,
            "text": self.question.text,
            "chosen": [{"id": option.id, "label": option.label} for option in self.chosen],
            "correct": [{"id": option.id, "label": option.label} for option in self.correct],
            "is_correct": self.is_correct,
        }


@dataclass(frozen=True, slots=True)
class QuizReview:
    questions: tuple[QuestionReview, ...]

    @property
    def score(self) -> int:
        return sum(1 for question in self.questions if question.is_correct)

    @property
    def out_of(self) -> int:
        return len(self.questions)

    def document(self) -> list[dict[str, Any]]:
        return [question.document() for question in self.questions]


def review_quiz(survey: Survey, answers: Answers) -> QuizReview:
    """The review of one fan's (validated) answers; unknown option ids count as not chosen."""
    reviews: list[QuestionReview] = []
    for question in survey.questions:
        if question.type == "text":
            continue
        raw = answers.get(question.id)
        chosen_ids = {raw} if isinstance(raw, str) else set(raw or [])
        reviews.append(
            QuestionReview(
                question,
                tuple(option for option in question.options if option.id in chosen_ids),
                tuple(option for option in question.options if option.correct),
            )
        )
    return QuizReview(tuple(reviews))
