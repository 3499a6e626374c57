"""The helpdesk port implemented with zenpy. Zendesk's field names live here and nowhere else."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment as ZenpyComment
from zenpy.lib.api_objects import Ticket as ZenpyTicket
from zenpy.lib.api_objects import User as ZenpyUser
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, RecordNotFoundException, ZenpyException

from integrations.base import (
    CallObserver,
    ChangedTicketsPage,
    HelpdeskError,
    HelpdeskNotFound,
    HelpdeskOrganization,
    HelpdeskTicket,
    HelpdeskUser,
    JobResult,
    NewTicket,
    RecentTickets,
    RequestBudget,
    SatisfactionRating,
    TicketChange,
)
from integrations.zendesk.conversions import (
    as_dict,
    job_from_zendesk,
    ticket_from_zendesk,
    ticket_payload,
    user_from_zendesk,
)
from integrations.zendesk.exports import EXPORT_EXCLUDES, changed_tickets, satisfaction_ratings
from integrations.zendesk.problem_incidents import problem_incidents
from integrations.zendesk.recent_tickets import recent_tickets
from integrations.zendesk.transport import zenpy_client
from integrations.zendesk.update_limit import BULK_LIMIT, TicketUpdates


class ZendeskAdapter:
    """HelpdeskPort over zenpy. Every zenpy/HTTP failure becomes a HelpdeskError.

    zenpy clients are not safe to share between threads (the web app and its worker do), so each
    thread gets its own client from ``client_factory``; the request budget they pace through is
    shared."""

    requester_first_name_placeholder = "{{ticket.requester.first_name}}"

    def __init__(
        self,
        client_factory: Callable[[], Zenpy],
        export_excludes: timedelta = EXPORT_EXCLUDES,
        ticket_updates: TicketUpdates | None = None,
    ):
        self._client_factory = client_factory
        self._local = threading.local()
        # Zendesk's is a minute; a sandbox told to leave nothing out is followed with zero.
        self.export_excludes = export_excludes
        self.ticket_updates = ticket_updates
        self.bulk_update_limit = ticket_updates.bulk_update_limit if ticket_updates else BULK_LIMIT

    @property
    def client(self) -> Zenpy:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._client_factory()
        return client

    @classmethod
    def connect(
        cls,
        subdomain: str,
        email: str,
        api_token: str,
        base_url: str | None = None,
        budget: RequestBudget | None = None,
        observer: CallObserver | None = None,
        ticket_updates: TicketUpdates | None = None,
    ) -> ZendeskAdapter:
        return cls(
            lambda: zenpy_client(subdomain, email, api_token, base_url, budget=budget, observer=observer),
            ticket_updates=ticket_updates,
        )

    @classmethod
    def from_settings(
        cls,
        settings,
        budget: RequestBudget | None = None,
        observer: CallObserver | None = None,
        ticket_updates: TicketUpdates | None = None,
    ) -> ZendeskAdapter:
        if not settings.zendesk_api_token:
            raise ValueError(
                "ZENDESK_API_TOKEN is not set: IncidentDesk needs an API token of a Zendesk admin"
            )
        return cls.connect(
            settings.zendesk_subdomain,
            settings.zendesk_email,
            settings.zendesk_api_token,
            settings.zendesk_url,
            budget=budget,
            observer=observer,
            ticket_updates=ticket_updates,
        )

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
            raise HelpdeskError(
                f"{what}: Zendesk answered {status}: {str(exc)[:300]}", retryable=retryable, status=status
            ) from exc
        except requests.RequestException as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            retryable = status is None or status >= 500 or status in (409, 429)
            raise HelpdeskError(
                f"{what}: {type(exc).__name__}: {str(exc)[:300]}", retryable=retryable, status=status
            ) from exc
        except ZenpyException as exc:
            raise HelpdeskError(f"{what}: {exc}", retryable=False) from exc

    def get_tickets(self, ticket_ids: Sequence[int]) -> list[HelpdeskTicket]:
        found: list[HelpdeskTicket] = []
        ids = list(dict.fromkeys(int(i) for i in ticket_ids))
        for start in range(0, len(ids), BULK_LIMIT):
            chunk = ids[start : start + BULK_LIMIT]
            with self._calling(f"show tickets {chunk[:3]}…"):
                found.extend(ticket_from_zendesk(as_dict(t)) for t in self.client.tickets(ids=chunk))
        return found

    def get_users(self, user_ids: Sequence[int]) -> list[HelpdeskUser]:
        found: list[HelpdeskUser] = []
        ids = list(dict.fromkeys(int(i) for i in user_ids if i))
        for start in range(0, len(ids), BULK_LIMIT):
            chunk = ids[start : start + BULK_LIMIT]
            with self._calling("show users"):
                found.extend(user_from_zendesk(as_dict(u)) for u in self.client.users(ids=chunk))
        return found

    def get_organizations(self, organization_ids: Sequence[int]) -> list[HelpdeskOrganization]:
        found: list[HelpdeskOrganization] = []
        ids = list(dict.fromkeys(int(i) for i in organization_ids if i))
        for start in range(0, len(ids), BULK_LIMIT):
            chunk = ids[start : start + BULK_LIMIT]
            with self._calling("show organizations"):
                for org in self.client.organizations(ids=chunk):
                    data = as_dict(org)
                    found.append(
                        HelpdeskOrganization(
                            id=int(data["id"]),
                            name=data.get("name") or "",
                            tags=tuple(data.get("tags") or ()),
                            fields=dict(data.get("organization_fields") or {}),
                        )
                    )
        return found

    def update_ticket(self, change: TicketChange) -> None:
        if self.ticket_updates:
            self.ticket_updates.budget.acquire()
        with self._calling(f"update ticket {change.ticket_id}"):
            self.client.tickets.update(ticket_payload(change))

    def update_many(self, changes: Sequence[TicketChange]) -> JobResult:
        if not changes or len(changes) > self.bulk_update_limit:
            raise ValueError(f"update_many takes 1 to {self.bulk_update_limit} changes, got {len(changes)}")
        if self.ticket_updates and self.ticket_updates.counts_bulk_items:
            self.ticket_updates.budget.acquire(len(changes))
        with self._calling(f"update_many of {len(changes)} tickets"):
            return job_from_zendesk(self.client.tickets.update([ticket_payload(c) for c in changes]))

    def create_many(self, tickets: Sequence[NewTicket]) -> JobResult:
        if not tickets or len(tickets) > BULK_LIMIT:
            raise ValueError(f"create_many takes 1 to {BULK_LIMIT} tickets, got {len(tickets)}")
        payload = []
        for new in tickets:
            requester = ZenpyUser(email=new.requester_email, name=new.requester_name)
            if new.requester_locale:
                requester.locale = new.requester_locale
            fields: dict[str, object] = {
                "subject": new.subject,
                "requester": requester,
                "tags": list(new.tags),
                "comment": ZenpyComment(body=new.comment.body, public=new.comment.public),
            }
            for name in ("type", "problem_id", "priority", "group_id", "submitter_id"):
                if getattr(new, name):
                    fields[name] = getattr(new, name)
            if new.submitter_id:
                fields["comment"].author_id = new.submitter_id
            if new.external_id:
                fields["external_id"] = new.external_id
            payload.append(ZenpyTicket(**fields))
        with self._calling(f"create_many of {len(tickets)} tickets"):
            return job_from_zendesk(self.client.tickets.create(payload))

    def job_status(self, job_id: str) -> JobResult:
        with self._calling(f"job status {job_id}"):
            return job_from_zendesk(self.client.job_status(id=job_id))

    def job_statuses(self, job_ids: Sequence[str]) -> list[JobResult]:
        found: list[JobResult] = []
        ids = list(dict.fromkeys(job_ids))
        for start in range(0, len(ids), BULK_LIMIT):
            chunk = ids[start : start + BULK_LIMIT]
            with self._calling("show_many job statuses"):
                answer = self.client.job_status(ids=chunk)  # zenpy hands back {"job_statuses": [...]}
                items = answer.get("job_statuses", []) if isinstance(answer, dict) else list(answer)
                found.extend(job_from_zendesk(j) for j in items)
        return found

    def merge_tickets(
        self,
        target_id: int,
        source_ids: Sequence[int],
        *,
        target_comment: str,
        source_comment: str,
        target_public: bool,
        source_public: bool,
    ) -> JobResult:
        # zenpy's merge sends no *_is_public flags, so this one call goes through its session.
        payload = {
            "ids": [int(i) for i in source_ids],
            "target_comment": target_comment,
            "source_comment": source_comment,
            "target_comment_is_public": target_public,
            "source_comment_is_public": source_public,
        }
        url = (
            f"https://{self.client.tickets.subdomain}.zendesk.com/api/v2/tickets/{int(target_id)}/merge.json"
        )
        with self._calling(f"merge {list(source_ids)} into {target_id}"):
            response = self.client.tickets.session.post(url, json=payload, timeout=30)
            if response.status_code == 429:
                raise HelpdeskError(
                    "merge: rate limited",
                    retryable=True,
                    status=429,
                    retry_after=float(response.headers.get("Retry-After", "1") or 1),
                )
            if response.status_code >= 400:
                raise HelpdeskError(
                    f"merge {list(source_ids)} into {target_id}: Zendesk answered "
                    f"{response.status_code}: {response.text[:300]}",
                    retryable=response.status_code >= 500,
                    status=response.status_code,
                )
            return job_from_zendesk(response.json()["job_status"])

    def search_tickets(self, query: str, limit: int = 1000) -> list[HelpdeskTicket]:
        found: list[HelpdeskTicket] = []
        with self._calling(f"search tickets {query[:60]!r}"):
            for item in self.client.search(f"type:ticket {query}"):
                found.append(ticket_from_zendesk(as_dict(item)))
                if len(found) >= limit:
                    break
        return found

    def search_users(self, query: str, limit: int = 10000) -> list[HelpdeskUser]:
        found: list[HelpdeskUser] = []
        with self._calling(f"search users {query[:60]!r}"):
            for item in self.client.users.search(query=query):
                found.append(user_from_zendesk(as_dict(item)))
                if len(found) >= limit:
                    break
        return found

    def recent_tickets(self, requester_ids: Sequence[int], since: datetime) -> dict[int, RecentTickets]:
        with self._calling("recent tickets of requesters"):
            return recent_tickets(lambda path: self._session_call("GET", path), requester_ids, since)

    def problem_incidents(self, problem_id: int) -> list[HelpdeskTicket]:
        with self._calling(f"incidents of problem {problem_id}"):
            return problem_incidents(lambda path: self._session_call("GET", path), problem_id)

    def group_exists(self, group_id: int) -> bool:
        """``GET /groups/{id}``: 404 when there is none; a deleted group says ``deleted``."""
        try:
            with self._calling(f"show group {group_id}"):
                answer = self._session_call("GET", f"groups/{int(group_id)}.json")
        except HelpdeskError as exc:
            if exc.status == 404:
                return False
            raise
        return not (answer.get("group") or {}).get("deleted", False)

    def ticket_fields(self) -> dict[int, str]:
        with self._calling("list ticket fields"):
            return {int(f.id): f.title or "" for f in self.client.ticket_fields()}

    def own_user_id(self) -> int:
        if not hasattr(self, "_me"):
            with self._calling("who am I"):
                self._me = int(self.client.users.me().id)
        return self._me

    def public_agent_replies(self, ticket_ids: Sequence[int]) -> set[int]:
        authors: dict[int, set[int]] = {}
        for ticket_id in dict.fromkeys(int(i) for i in ticket_ids):
            with self._calling(f"comments of ticket {ticket_id}"):
                authors[ticket_id] = {
                    int(c.author_id)
                    for c in self.client.tickets.comments(ticket=ticket_id)
                    if c.public and c.author_id
                }
        everyone = sorted(set().union(*authors.values()) - {self.own_user_id()}) if authors else []
        agents = {u.id for u in self.get_users(everyone) if u.role in ("agent", "admin")}
        return {ticket_id for ticket_id, ids in authors.items() if ids & agents}

    def tickets_by_external_id(self, external_id: str) -> list[HelpdeskTicket]:
        with self._calling(f"tickets with external id {external_id[:60]!r}"):
            return [ticket_from_zendesk(as_dict(t)) for t in self.client.tickets(external_id=external_id)]

    def changed_tickets(self, *, cursor: str | None, since: datetime) -> ChangedTicketsPage:
        return changed_tickets(
            self._reader("incremental ticket export"),
            cursor=cursor,
            since=since,
            excludes=self.export_excludes,
        )

    def satisfaction_ratings(self, *, since: datetime, until: datetime) -> list[SatisfactionRating]:
        return satisfaction_ratings(self._reader("satisfaction ratings"), since=since, until=until)

    def _reader(self, what: str) -> Callable[[str], dict]:
        """``GET`` of a path under ``/api/v2/`` as JSON, its failures said as ``what``."""

        def get_json(path: str) -> dict:
            with self._calling(what):
                return self._session_call("GET", path)

        return get_json

    def _session_call(self, method: str, path: str, payload: dict | None = None) -> dict:
        """A plain JSON call through zenpy's session (same routing, auth and budget), for the few
        endpoints zenpy does not model the way we need."""
        url = f"https://{self.client.tickets.subdomain}.zendesk.com/api/v2/{path}"
        response = self.client.tickets.session.request(method, url, json=payload, timeout=30)
        if response.status_code >= 400:
            retry_after = response.headers.get("Retry-After")
            raise HelpdeskError(
                f"{method} {path}: Zendesk answered {response.status_code}: {response.text[:300]}",
                retryable=response.status_code >= 500 or response.status_code == 429,
                status=response.status_code,
                retry_after=float(retry_after) if retry_after else None,
            )
        return response.json() if response.content else {}

    def _load_locales(self) -> None:
        """The account's locales (``GET /locales``, each with ``default`` for the account's own)."""
        with self._calling("list locales"):
            answer = self._session_call("GET", "locales.json")
        ids: dict[str, int] = {}
        default = "en-US"
        for item in answer.get("locales", []):
            code = str(item.get("locale", "")).lower()
            ids.setdefault(code.split("-")[0], int(item["id"]))
            ids[code] = int(item["id"])
            if item.get("default"):
                default = str(item["locale"])
        self._locale_cache = ids
        self._default_locale = default

    def _locale_ids(self) -> dict[str, int]:
        """The account's locales by code and base code ('pt-br', 'pt', 'he') -> Zendesk locale id."""
        if not hasattr(self, "_locale_cache"):
            self._load_locales()
        return self._locale_cache

    def account_default_locale(self) -> str:
        """The account's default language ('en-US'), which Zendesk gives every new user."""
        if not hasattr(self, "_default_locale"):
            self._load_locales()
        return self._default_locale

    def publish_status_content(
        self, name: str, texts: dict[str, str], default_locale: str, item_id: int | None = None
    ) -> tuple[int, str]:
        """Create or update the dynamic content item holding an incident's status per locale;
        returns (item id, placeholder such as ``{{dc.incident_checkout_status}}``)."""
        locale_ids = self._locale_ids()
        wanted = {locale_ids[code]: text for code, text in texts.items() if code in locale_ids}
        default_id = locale_ids.get(default_locale) or next(iter(wanted))
        with self._calling(f"publish status content {name}"):
            if item_id is None:
                variants = [
                    {"locale_id": lid, "content": text, "default": lid == default_id}
                    for lid, text in wanted.items()
                ]
                item = self._session_call(
                    "POST",
                    "dynamic_content/items.json",
                    {"item": {"name": name, "default_locale_id": default_id, "variants": variants}},
                )["item"]
                return int(item["id"]), item["placeholder"]
            item = self._session_call("GET", f"dynamic_content/items/{item_id}.json")["item"]
            existing = {int(v["locale_id"]): int(v["id"]) for v in item.get("variants", [])}
            missing = [
                {"locale_id": lid, "content": text} for lid, text in wanted.items() if lid not in existing
            ]
            # A variant of a language the texts no longer name gets the default text, not an old one.
            fallback = wanted.get(default_id) or next(iter(wanted.values()))
            wanted = {**dict.fromkeys(existing, fallback), **wanted}
            for lid, text in wanted.items():
                if lid in existing:
                    self._session_call(
                        "PUT",
                        f"dynamic_content/items/{item_id}/variants/{existing[lid]}.json",
                        {"variant": {"content": text}},
                    )
            if missing:
                self._session_call(
                    "POST",
                    f"dynamic_content/items/{item_id}/variants/create_many.json",
                    {"variants": missing},
                )
            return int(item_id), item["placeholder"]

    def ensure_status_macro(self, title: str, tag: str, placeholder: str, macro_id: int | None = None) -> int:
        """The incident's macro: tags the ticket and replies with the status placeholder."""
        macro = {
            "title": title,
            "active": True,
            "actions": [
                {"field": "current_tags", "value": tag},
                {"field": "comment_mode_is_public", "value": "true"},
                {"field": "comment_value", "value": placeholder},
            ],
        }
        with self._calling(f"save macro {title}"):
            if macro_id is None:
                return int(self._session_call("POST", "macros.json", {"macro": macro})["macro"]["id"])
            self._session_call("PUT", f"macros/{macro_id}.json", {"macro": macro})
            return int(macro_id)

    def create_problem_ticket(
        self,
        subject: str,
        body: str,
        tags: Sequence[str],
        *,
        assignee_id: int | None = None,
        group_id: int | None = None,
    ) -> int:
        fields: dict[str, object] = {"assignee_id": assignee_id, "group_id": group_id}
        ticket = ZenpyTicket(
            subject=subject,
            type="problem",
            tags=list(tags),
            comment=ZenpyComment(body=body, public=False),
            **{k: v for k, v in fields.items() if v is not None},
        )
        with self._calling("create problem ticket"):
            audit = self.client.tickets.create(ticket)
        return int(audit.ticket.id)

    def find_user_by_email(self, email: str) -> HelpdeskUser | None:
        with self._calling("search user"):
            for user in self.client.users(query=f"email:{email}"):
                return user_from_zendesk(as_dict(user))
        return None

    def create_user(self, name: str, email: str, locale: str | None = None) -> HelpdeskUser:
        fields = {"name": name, "email": email}
        if locale:
            fields["locale"] = locale
        with self._calling("create user"):
            return user_from_zendesk(as_dict(self.client.users.create(ZenpyUser(**fields))))
