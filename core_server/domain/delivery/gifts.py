"""The gift delivery worker's step: every tenant whose Fragment settings are enabled has its Stars
and Premium tasks handed to Fragment and settled by Fragment's answer.

A task is leased (as attempt N, by a system actor of the tenant, one at a time so that no lease
runs out while its task waits behind others), then:
1. its recipient is checked (a read): unknown to Fragment, the task fails for good and the order
   is refunded; a failed check only queues the task again;
2. the hand-off is committed (`sending`: the task is held, domain/fulfillment/handoff_model.py);
3. the order is sent, once. COMPLETED: the task completes with Fragment's order id in its result,
   which fulfils the order. Still under way: `checking`, asked about (GET /v1/order/{id}/) on a
   backing-off schedule until Fragment finishes it. FAILED, or refused (nothing bought): queued
   again after the usual backoff, or failed for good (the recipient does not exist, or the last
   attempt), which refunds the order. Any other end (a timeout or a 5xx after sending, an answer
   without an order id, the process stopping): `unknown`, never sent again; an admin looks at the
   Fragment account and finishes the task with CompleteTask or FailTask.

Several cores may run the step at once: leases and the hand-off are taken under the task's lock,
so a task's order is sent by one of them only.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from core_server.domain.actor import Actor, Role
from core_server.domain.deps import Deps
from core_server.domain.errors import DomainError
from core_server.domain.events import emit
from core_server.domain.fulfillment import handoff
from core_server.domain.fulfillment.handoff_model import Handoff
from core_server.domain.fulfillment.tasks import Task, TaskStatus, task_event
from core_server.domain.orders.payment import SYSTEM_KEY
from core_server.domain.orders.task_outcomes import TaskOutcomes, lock_with_order
from core_server.domain.payments.configs import decrypted
from core_server.domain.provider_api import (
    DeliveryRefused,
    DeliveryUnknown,
    GiftOrder,
    GiftState,
    ProviderConfig,
    ProviderError,
    ProviderUnavailable,
    StarsDelivery,
)
from core_server.store.repositories import payments as configs_repo
from core_server.store.repositories import tasks as tasks_repo

log = structlog.get_logger(__name__)

PROVIDER = "fragment"
KINDS = ("telegram_stars", "telegram_premium")
LEASE_SECONDS = 300
PER_KIND = 20  # tasks handed off per tenant, kind and step
CHECKS = 50  # status checks per tenant and step
ADMIN_HINT = "the order may have been bought: check the Fragment account, then CompleteTask or FailTask"


class GiftDelivery:
    def __init__(self, deps: Deps, provider: str = PROVIDER) -> None:
        self._deps = deps
        self._provider = provider
        self._outcomes = TaskOutcomes(deps)

    def _adapter(self) -> StarsDelivery | None:
        adapter = self._deps.fulfillment_adapters.get(self._provider)
        return adapter if isinstance(adapter, StarsDelivery) else None

    async def run_due(self) -> int:
        """The worker's step; returns how many tasks it handed off or checked."""
        if self._adapter() is None:
            return 0
        async with self._deps.read_uow() as uow:
            tenants = await configs_repo.tenants_with_enabled(uow, self._provider)
        done = 0
        for tenant in tenants:
            try:
                done += await self.run_tenant(tenant)
            except DomainError as error:  # one tenant's trouble never stops the others
                log.info("gift delivery step failed", tenant=str(tenant), reason=error.reason)
        return done

    async def run_tenant(self, tenant: uuid.UUID) -> int:
        """One tenant's part of the step: its due status checks, then its tasks to hand off."""
        adapter, config = self._adapter(), await self._config(tenant)
        if adapter is None or config is None:
            return 0
        async with self._deps.read_uow() as uow:
            due = await tasks_repo.due_checks(
                uow,
                tenant,
                KINDS,
                self._deps.clock.now(),
                leased=TaskStatus.LEASED,
                checking=Handoff.CHECKING,
                limit=CHECKS,
            )
        done = 0
        for task_id, attempt in due:
            done += await self._check(adapter, config, tenant, task_id, attempt)
        system = Actor(Role.PLATFORM, SYSTEM_KEY, tenant)
        for kind in KINDS:
            for _ in range(PER_KIND):
                leased = await self._outcomes.lease(system, kind, 1, LEASE_SECONDS)
                if not leased:
                    break
                await self._deliver(adapter, config, tenant, leased[0])
                done += 1
        return done

    async def _config(self, tenant: uuid.UUID) -> ProviderConfig | None:
        async with self._deps.read_uow() as uow:
            row = await configs_repo.get_config(uow, tenant, self._provider)
            return await decrypted(self._deps, uow, row) if row is not None and row.enabled else None

    async def _deliver(self, adapter: StarsDelivery, config: ProviderConfig, tenant: uuid.UUID, task: Task) -> None:
        what = _what(task)
        if what is None:
            await self._outcomes.fail_handoff(tenant, task.id, task.attempts, "malformed task payload", False)
            return
        recipient, amount = what
        try:
            await adapter.check_user(config, recipient)
        except DeliveryRefused as refused:
            await self._outcomes.fail_handoff(tenant, task.id, task.attempts, str(refused), False)
            return
        except ProviderError as error:
            await self._outcomes.fail_handoff(tenant, task.id, task.attempts, str(error), True)
            return
        if not await self._claim(tenant, task.id, task.attempts):
            return  # another worker, an admin or a refund took it meanwhile
        try:
            if task.kind == "telegram_stars":
                order = await adapter.order_stars(config, recipient, amount)
            else:
                order = await adapter.order_premium(config, recipient, amount)
        except DeliveryRefused as refused:
            await self._outcomes.fail_handoff(tenant, task.id, task.attempts, str(refused), False)
        except ProviderUnavailable as error:  # DeliveryRetryable, or a request that may have left
            if error.request_sent:
                await self._unknown(tenant, task.id, task.attempts, str(error))
            else:
                await self._outcomes.fail_handoff(tenant, task.id, task.attempts, str(error), True)
        except DeliveryUnknown as unknown:
            await self._unknown(tenant, task.id, task.attempts, str(unknown))
        except Exception as error:  # the order may have left before it went wrong
            # no traceback: its frames' locals hold the credentials and the provider's token
            log.error("gift delivery failed after the hand-off", task=str(task.id), error=type(error).__name__)
            await self._unknown(tenant, task.id, task.attempts, f"{self._provider}: {type(error).__name__}")
        else:
            await self._settle(tenant, task.id, task.attempts, order)

    async def _claim(self, tenant: uuid.UUID, task_id: uuid.UUID, attempt: int) -> bool:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            _order, row = await lock_with_order(uow, tenant, str(task_id))
            if not await handoff.claim(self._deps, uow, row, attempt, self._provider, now):
                return False
            await uow.commit()
        return True

    async def _settle(self, tenant: uuid.UUID, task_id: uuid.UUID, attempt: int, order: GiftOrder) -> None:
        """Act on what Fragment says of the order this attempt sent."""
        if order.state is GiftState.COMPLETED:
            result = {self._provider: {"order_id": order.order_id, "status": order.raw_status}}
            if not await self._outcomes.complete_handoff(tenant, task_id, attempt, result):
                await self._late(tenant, task_id, order)
        elif order.state is GiftState.FAILED:  # it ended without delivering: buying again is safe
            reason = f"{self._provider}: order {order.order_id} failed: {order.error or order.raw_status}"
            await self._outcomes.fail_handoff(tenant, task_id, attempt, reason, True)
        else:
            await self._await(tenant, task_id, attempt, order)

    async def _await(self, tenant: uuid.UUID, task_id: uuid.UUID, attempt: int, order: GiftOrder) -> None:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            _order, row = await lock_with_order(uow, tenant, str(task_id))
            if handoff.owns(row, attempt, now) and row.handoff == Handoff.SENDING:
                await handoff.await_provider(
                    self._deps, uow, row, self._provider, order.order_id, order.raw_status, now
                )
                await uow.commit()

    async def _unknown(self, tenant: uuid.UUID, task_id: uuid.UUID, attempt: int, reason: str) -> None:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            _order, row = await lock_with_order(uow, tenant, str(task_id))
            if handoff.owns(row, attempt, now) and row.handoff == Handoff.SENDING:
                await handoff.mark_unknown(self._deps, uow, row, self._provider, f"{reason}; {ADMIN_HINT}", now)
                await uow.commit()
        log.warning("gift delivery outcome unknown", task=str(task_id), reason=reason)

    async def _check(
        self, adapter: StarsDelivery, config: ProviderConfig, tenant: uuid.UUID, task_id: uuid.UUID, attempt: int
    ) -> int:
        """Ask Fragment about the order a held task sent (the check is counted and the next one
        scheduled first, so two workers never ask about it at once)."""
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            _order, row = await lock_with_order(uow, tenant, str(task_id))
            if not handoff.owns(row, attempt, now) or not handoff.take_check(row, now):
                return 0
            ref = row.provider_ref or ""
            await uow.commit()
        try:
            order = await adapter.order_status(config, ref)
        except ProviderError as error:  # a read: ask again at the next check
            log.info("gift order status check failed", task=str(task_id), error=str(error))
            return 1
        if order.state is not GiftState.PENDING:
            await self._settle(tenant, task_id, attempt, order)
        return 1

    async def _late(self, tenant: uuid.UUID, task_id: uuid.UUID, order: GiftOrder) -> None:
        """Fragment delivered for a task that had ended meanwhile (a refund, an admin): say so."""
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            _order, row = await lock_with_order(uow, tenant, str(task_id))
            data = task_event(row) | {"provider": self._provider, "provider_order_id": order.order_id}
            await emit(uow, self._deps.feed, tenant, "task.delivered_after_end", data, now)
            await uow.commit()
        log.warning("gift delivered after its task ended", task=str(task_id), order=order.order_id)


def _what(task: Task) -> tuple[str, int] | None:
    """The recipient and the Stars (or Premium months) a task asks for."""
    payload: dict[str, Any] = task.payload
    amount = payload.get("quantity" if task.kind == "telegram_stars" else "months")
    recipient = payload.get("recipient")
    if not isinstance(recipient, str) or not recipient or not isinstance(amount, int) or isinstance(amount, bool):
        return None
    return recipient, amount
