"""Per-process helpers of the fan pages beyond the queue itself (built by the app lifespan)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from waitroom.fan_content import FanContentStore
from waitroom.i18n import Catalogs
from waitroom.leave import QueueLeaving
from waitroom.survey_answers import SurveyAnswers


@dataclass(frozen=True)
class FanServices:
    content: FanContentStore
    answers: SurveyAnswers
    leaving: QueueLeaving
    catalogs: Catalogs

    @classmethod
    def build(cls, redis: Redis) -> FanServices:
        return cls(
            content=FanContentStore(redis),
            answers=SurveyAnswers(redis),
            leaving=QueueLeaving(redis),
            catalogs=Catalogs.load(),
        )
