"""Per-process helpers of the fan pages beyond the queue itself (built by the app lifespan)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from waitroom.fan.content import FanContentStore
from waitroom.fan.i18n import Catalogs
from waitroom.fan.survey_answers import SurveyAnswers
from waitroom.queue.leave import QueueLeaving
from waitroom.storage.scripts import QueueScripts


@dataclass(frozen=True)
class FanServices:
    content: FanContentStore
    answers: SurveyAnswers
    leaving: QueueLeaving
    catalogs: Catalogs

    @classmethod
    def build(cls, redis: Redis, scripts: QueueScripts) -> FanServices:
        return cls(
            content=FanContentStore(redis),
            answers=SurveyAnswers(scripts),
            leaving=QueueLeaving(scripts),
            catalogs=Catalogs.load(),
        )
