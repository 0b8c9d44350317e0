"""The gateway's Rasa stand-in with a few more scripted answers for channel routes."""

from typing import Any

from tests.channels.gateway.rasa_standin import RasaStandIn

SESSION_AM = (
    '/inform{"exam_date": "2026-12-05", "time_period": "上午", "exam_site": "南山考场"}'
)
SESSION_PM = (
    '/inform{"exam_date": "2026-12-05", "time_period": "下午", "exam_site": "南山考场"}'
)
SESSION_QUESTION = "请选择考试场次："
SESSION_CHOSEN = "好的，已为您选择该场次。"
LONG_SENTENCE = "请携带身份证原件和驾驶证到南山车管分所办理相关手续。"
LONG_ANSWER = LONG_SENTENCE * 60  # about 4,700 UTF-8 bytes: over WeChat's 2048


class RouteRasa(RasaStandIn):
    """Adds buttons whose payloads exceed Telegram's 64-byte callback data."""

    def _script(self, sender: str, text: str) -> list[dict[str, Any]]:
        if text == "约场次":
            return [
                {
                    "text": SESSION_QUESTION,
                    "buttons": [
                        {"title": "12月5日上午", "payload": SESSION_AM},
                        {"title": "12月5日下午", "payload": SESSION_PM},
                    ],
                }
            ]
        if text in (SESSION_AM, SESSION_PM):
            return [{"text": SESSION_CHOSEN}]
        if text == "长回答":
            return [{"text": LONG_ANSWER}]
        return super()._script(sender, text)
