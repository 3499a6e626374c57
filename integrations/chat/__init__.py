"""A chat's incoming webhook (Slack, Mattermost, Google Chat, Teams workflows): post one text."""

from __future__ import annotations

import requests


class ChatRefused(Exception):
    """The chat did not take the message; ``retryable`` when trying again later may work."""

    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def post_text(url: str, text: str, timeout: float = 5.0) -> None:
    """POST ``{"text": text}``; raises ChatRefused. The URL is a secret: never in the message."""
    try:
        answer = requests.post(url, json={"text": text}, timeout=timeout)
    except requests.RequestException as failure:
        raise ChatRefused(f"the chat did not answer ({type(failure).__name__})", retryable=True) from None
    if answer.status_code >= 300:
        raise ChatRefused(f"the chat answered {answer.status_code}", retryable=answer.status_code >= 500)
