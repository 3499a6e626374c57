"""The helpdesk port implemented with zenpy. Zendesk's field names live here and nowhere else."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Iterator, Sequence

import requests
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment as ZenpyComment
from zenpy.lib.api_objects import Ticket as ZenpyTicket
from zenpy.lib.api_objects import User as ZenpyUser
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, RecordNotFoundException, ZenpyException

from integrations.base import (
    HelpdeskError,
    HelpdeskNotFound,
    HelpdeskTicket,
    HelpdeskUser,
    JobItemResult,
    JobResult,
    NewTicket,
    RequestBudget,
    TicketChange,
)

BULK_LIMIT = 100


class RebasingAdapter(HTTPAdapter):
    """Route calls meant for ``origin`` to ``base_url``, and show zenpy the origin in the response.

    zenpy always builds ``https://{subdomain}.zendesk.com/api/v2/...`` and only accepts responses
    whose request URL carries that host. Mounted on the session zenpy is given, this transport
    adapter is how the same, unmodified zenpy talks to the sandbox (or any Zendesk-compatible
    host) by configuration. Links the host returns (``next_page``) are routed the same way.
    """

    def __init__(self, origin: str, base_url: str, budget: RequestBudget | None = None, **kwargs):
        super().__init__(**kwargs)
        self.origin = origin.rstrip("/")
        self.base_url = base_url.rstrip("/")
        self.budget = budget

    def send(self, request: PreparedRequest, **kwargs) -> Response:
        if self.budget is not None:
            self.budget.acquire()
        response = self._send_routed(request, **kwargs)
        if response.status_code == 429 and self.budget is not None:
            try:
                self.budget.block_for(float(response.headers.get("Retry-After", "1")))
            except ValueError:
                self.budget.block_for(1.0)
        return response

    def _send_routed(self, request: PreparedRequest, **kwargs) -> Response:
        url = request.url or ""
        if url.startswith(self.origin):
            routed_url, shown_url = self.base_url + url[len(self.origin):], url
        else:
            routed_url, shown_url = url, self.origin + url[len(self.base_url):]
        routed = request.copy()
        routed.url = routed_url
        response = super().send(routed, **kwargs)
        request.url = shown_url
        response.request = request
        response.url = shown_url
        return response


def zenpy_client(subdomain: str, email: str, api_token: str, base_url: str | None = None,
                 timeout: float = 30.0, ratelimit_budget: float = 120.0,
                 budget: RequestBudget | None = None) -> Zenpy:
    origin = f"https://{subdomain}.zendesk.com"
    session = requests.Session()
    retries = Retry(total=3, backoff_factor=0.5, status_forcelist=(502, 503, 504),
                    allowed_methods=frozenset({"GET"}), respect_retry_after_header=False)
    adapter = RebasingAdapter(origin, base_url or origin, budget, max_retries=retries)
    session.mount(origin + "/", adapter)
    if base_url and base_url.rstrip("/") != origin:
        session.mount(base_url.rstrip("/") + "/", adapter)
    return Zenpy(subdomain=subdomain, email=email, token=api_token or None, session=session, timeout=timeout,
                 ratelimit_budget=ratelimit_budget, disable_cache=True)


def _parse_time(value: object) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _as_dict(obj: object) -> dict:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    return obj.to_dict(serialize=False) if hasattr(obj, "to_dict") else dict(vars(obj))


def ticket_from_zendesk(data: dict) -> HelpdeskTicket:
    via = _as_dict(data.get("via"))
    fields = {}
    for item in data.get("custom_fields") or []:
        item = _as_dict(item)
        if item.get("id") is not None:
            fields[int(item["id"])] = item.get("value")
    return HelpdeskTicket(
        id=int(data["id"]),
        subject=data.get("subject") or "",
        description=data.get("description") or "",
        status=data.get("status") or "new",
        requester_id=data.get("requester_id"),
        tags=tuple(data.get("tags") or ()),
        type=data.get("type"),
        problem_id=data.get("problem_id"),
        priority=data.get("priority"),
        channel=via.get("channel"),
        organization_id=data.get("organization_id"),
        brand_id=data.get("brand_id"),
        form_id=data.get("ticket_form_id"),
        external_id=data.get("external_id"),
        created_at=_parse_time(data.get("created_at")),
        updated_at=_parse_time(data.get("updated_at")),
        custom_fields=fields,
    )


def user_from_zendesk(data: dict) -> HelpdeskUser:
    return HelpdeskUser(id=int(data["id"]), name=data.get("name") or "", email=data.get("email"),
                        locale=data.get("locale") or "en", tags=tuple(data.get("tags") or ()),
                        organization_id=data.get("organization_id"))


def _ticket_payload(change: TicketChange) -> ZenpyTicket:
    fields: dict[str, object] = {"id": change.ticket_id}
    if change.add_tags:
        fields["additional_tags"] = list(change.add_tags)
    if change.remove_tags:
        fields["remove_tags"] = list(change.remove_tags)
    for name in ("type", "problem_id", "priority", "status"):
        value = getattr(change, name)
        if value is not None:
            fields[name] = value
    if change.comment is not None:
        fields["comment"] = ZenpyComment(body=change.comment.body, public=change.comment.public)
    return ZenpyTicket(**fields)


def _job_from_zendesk(job: object) -> JobResult:
    data = _as_dict(job)
    results = []
    for index, item in enumerate(data.get("results") or []):
        item = {k: v for k, v in _as_dict(item).items() if v is not None}  # zenpy fills gaps with None
        error = item.get("error") or item.get("details") or item.get("errors")
        success = bool(item.get("success", not error))
        results.append(JobItemResult(ticket_id=item.get("id"), success=success,
                                     error=str(error) if error and not success else None,
                                     index=item.get("index", index)))
    return JobResult(id=str(data["id"]), status=str(data.get("status") or "queued"),
                     results=tuple(results), message=data.get("message"))


class ZendeskAdapter:
    """HelpdeskPort over zenpy. Every zenpy/HTTP failure becomes a HelpdeskError."""

    def __init__(self, client: Zenpy):
        self.client = client

    @classmethod
    def from_settings(cls, settings, budget: RequestBudget | None = None) -> "ZendeskAdapter":
        if not settings.zendesk_api_token:
            raise ValueError("ZENDESK_API_TOKEN is not set: IncidentDesk needs an API token of a Zendesk admin")
        return cls(zenpy_client(settings.zendesk_subdomain, settings.zendesk_email,
                                settings.zendesk_api_token, settings.zendesk_url, budget=budget))

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        try:
            yield
        except RecordNotFoundException as exc:
            raise HelpdeskNotFound(f"{what}: not found") from exc
        except RatelimitBudgetExceeded as exc:
            raise HelpdeskError(f"{what}: rate limited for too long", retryable=True, status=429) from exc
        except APIException as exc:
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", None)
            retryable = status is None or status >= 500 or status in (409, 429)
            raise HelpdeskError(f"{what}: Zendesk answered {status}: {str(exc)[:300]}",
                                retryable=retryable, status=status) from exc
        except requests.RequestException as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            retryable = status is None or status >= 500 or status in (409, 429)
            raise HelpdeskError(f"{what}: {type(exc).__name__}: {str(exc)[:300]}",
                                retryable=retryable, status=status) from exc
        except ZenpyException as exc:
            raise HelpdeskError(f"{what}: {exc}", retryable=False) from exc

    def get_tickets(self, ticket_ids: Sequence[int]) -> list[HelpdeskTicket]:
        found: list[HelpdeskTicket] = []
        ids = list(dict.fromkeys(int(i) for i in ticket_ids))
        for start in range(0, len(ids), BULK_LIMIT):
            chunk = ids[start:start + BULK_LIMIT]
            with self._calling(f"show tickets {chunk[:3]}…"):
                found.extend(ticket_from_zendesk(_as_dict(t)) for t in self.client.tickets(ids=chunk))
        return found

    def get_users(self, user_ids: Sequence[int]) -> list[HelpdeskUser]:
        found: list[HelpdeskUser] = []
        ids = list(dict.fromkeys(int(i) for i in user_ids if i))
        for start in range(0, len(ids), BULK_LIMIT):
            chunk = ids[start:start + BULK_LIMIT]
            with self._calling("show users"):
                found.extend(user_from_zendesk(_as_dict(u)) for u in self.client.users(ids=chunk))
        return found

    def update_ticket(self, change: TicketChange) -> None:
        with self._calling(f"update ticket {change.ticket_id}"):
            self.client.tickets.update(_ticket_payload(change))

    def update_many(self, changes: Sequence[TicketChange]) -> JobResult:
        if not changes or len(changes) > BULK_LIMIT:
            raise ValueError(f"update_many takes 1 to {BULK_LIMIT} changes, got {len(changes)}")
        with self._calling(f"update_many of {len(changes)} tickets"):
            return _job_from_zendesk(self.client.tickets.update([_ticket_payload(c) for c in changes]))

    def create_many(self, tickets: Sequence[NewTicket]) -> JobResult:
        if not tickets or len(tickets) > BULK_LIMIT:
            raise ValueError(f"create_many takes 1 to {BULK_LIMIT} tickets, got {len(tickets)}")
        payload = []
        for new in tickets:
            requester = ZenpyUser(email=new.requester_email, name=new.requester_name)
            if new.requester_locale:
                requester.locale = new.requester_locale
            fields: dict[str, object] = {
                "subject": new.subject, "requester": requester, "tags": list(new.tags),
                "comment": ZenpyComment(body=new.comment.body, public=new.comment.public),
            }
            if new.type:
                fields["type"] = new.type
            if new.external_id:
                fields["external_id"] = new.external_id
            payload.append(ZenpyTicket(**fields))
        with self._calling(f"create_many of {len(tickets)} tickets"):
            return _job_from_zendesk(self.client.tickets.create(payload))

    def job_status(self, job_id: str) -> JobResult:
        with self._calling(f"job status {job_id}"):
            return _job_from_zendesk(self.client.job_status(id=job_id))

    def job_statuses(self, job_ids: Sequence[str]) -> list[JobResult]:
        found: list[JobResult] = []
        ids = list(dict.fromkeys(job_ids))
        for start in range(0, len(ids), BULK_LIMIT):
            chunk = ids[start:start + BULK_LIMIT]
            with self._calling("show_many job statuses"):
                answer = self.client.job_status(ids=chunk)  # zenpy hands back {"job_statuses": [...]}
                items = answer.get("job_statuses", []) if isinstance(answer, dict) else list(answer)
                found.extend(_job_from_zendesk(j) for j in items)
        return found

    def merge_tickets(self, target_id: int, source_ids: Sequence[int], *, target_comment: str,
                      source_comment: str, target_public: bool, source_public: bool) -> JobResult:
        # zenpy's merge sends no *_is_public flags, so this one call goes through its session.
        payload = {"ids": [int(i) for i in source_ids], "target_comment": target_comment,
                   "source_comment": source_comment, "target_comment_is_public": target_public,
                   "source_comment_is_public": source_public}
        url = f"https://{self.client.tickets.subdomain}.zendesk.com/api/v2/tickets/{int(target_id)}/merge.json"
        with self._calling(f"merge {list(source_ids)} into {target_id}"):
            response = self.client.tickets.session.post(url, json=payload, timeout=30)
            if response.status_code == 429:
                raise HelpdeskError("merge: rate limited", retryable=True, status=429,
                                    retry_after=float(response.headers.get("Retry-After", "1") or 1))
            if response.status_code >= 400:
                raise HelpdeskError(f"merge {list(source_ids)} into {target_id}: Zendesk answered "
                                    f"{response.status_code}: {response.text[:300]}",
                                    retryable=response.status_code >= 500, status=response.status_code)
            return _job_from_zendesk(response.json()["job_status"])

    def search_tickets(self, query: str, limit: int = 1000) -> list[HelpdeskTicket]:
        found: list[HelpdeskTicket] = []
        with self._calling(f"search tickets {query[:60]!r}"):
            for item in self.client.search(f"type:ticket {query}"):
                found.append(ticket_from_zendesk(_as_dict(item)))
                if len(found) >= limit:
                    break
        return found

    def search_users(self, query: str, limit: int = 10000) -> list[HelpdeskUser]:
        found: list[HelpdeskUser] = []
        with self._calling(f"search users {query[:60]!r}"):
            for item in self.client.users.search(query=query):
                found.append(user_from_zendesk(_as_dict(item)))
                if len(found) >= limit:
                    break
        return found

    def tickets_by_external_id(self, external_id: str) -> list[HelpdeskTicket]:
        with self._calling(f"tickets with external id {external_id[:60]!r}"):
            return [ticket_from_zendesk(_as_dict(t)) for t in self.client.tickets(external_id=external_id)]

    def create_problem_ticket(self, subject: str, body: str, tags: Sequence[str]) -> int:
        ticket = ZenpyTicket(subject=subject, type="problem", tags=list(tags),
                             comment=ZenpyComment(body=body, public=False))
        with self._calling("create problem ticket"):
            audit = self.client.tickets.create(ticket)
        return int(audit.ticket.id)

    def find_user_by_email(self, email: str) -> HelpdeskUser | None:
        with self._calling("search user"):
            for user in self.client.users(query=f"email:{email}"):
                return user_from_zendesk(_as_dict(user))
        return None

    def create_user(self, name: str, email: str, locale: str | None = None) -> HelpdeskUser:
        fields = {"name": name, "email": email}
        if locale:
            fields["locale"] = locale
        with self._calling("create user"):
            return user_from_zendesk(_as_dict(self.client.users.create(ZenpyUser(**fields))))
