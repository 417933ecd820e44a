"""UserService: a tenant's end users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from core_server.api.access import STAFF, STAFF_AND_PARTNERS, Idempotency, rpc
from core_server.api.call_context import current_actor
from core_server.api.convert import PLATFORMS, PLATFORMS_OUT, enum_filter, id_text, mask_paths, optional_time, timestamp
from core_server.api.fast_calls import fast_or_slow, method_path
from core_server.domain.errors import Violations
from core_server.domain.fast_unit import FastUnit
from core_server.domain.users.service import Profile, Registration, User, UserService
from sdk.billinghub.v1 import user_pb2, user_service_pb2_grpc
from sdk.billinghub.v1 import user_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]
REGISTER_USER = method_path(pb, "UserService", "RegisterUser")


def user_message(user: User) -> user_pb2.User:
    return user_pb2.User(
        id=str(user.id),
        platform=PLATFORMS_OUT[user.platform],
        external_id=user.external_id,
        username=user.profile.username,
        first_name=user.profile.first_name,
        last_name=user.profile.last_name,
        language_code=user.profile.language_code,
        referral_code=user.referral_code,
        referrer_id=id_text(user.referrer_id),
        blocked=user.profile.blocked,
        create_time=timestamp(user.created_at),
        update_time=timestamp(user.updated_at),
        bot_blocked=user.bot_blocked,
        bot_blocked_time=timestamp(user.bot_blocked_at),
    )


def _registration_message(result: Registration) -> pb.RegisterUserResponse:
    return pb.RegisterUserResponse(
        user=user_message(result.user), created=result.created, referrer_attributed=result.referrer_attributed
    )


class UserServicer(user_service_pb2_grpc.UserServiceServicer):
    def __init__(self, users: UserService) -> None:
        self._users = users

    @rpc(roles=STAFF_AND_PARTNERS, mutation=Idempotency.INLINE)
    async def RegisterUser(self, request: pb.RegisterUserRequest, context: Context) -> pb.RegisterUserResponse:
        actor = current_actor()
        profile = Profile(
            username=request.username,
            first_name=request.first_name,
            last_name=request.last_name,
            language_code=request.language_code,
        )
        args = (PLATFORMS.get(request.platform), request.external_id, profile, request.referral_code)

        async def fast(unit: FastUnit) -> pb.RegisterUserResponse:
            return _registration_message(await self._users.register_fast(unit, *args))

        async def slow() -> pb.RegisterUserResponse:
            return _registration_message(await self._users.register(actor, *args))

        return await fast_or_slow(self._users.deps, REGISTER_USER, request, pb.RegisterUserResponse, fast, slow)

    @rpc(roles=STAFF_AND_PARTNERS)
    async def GetUser(self, request: pb.GetUserRequest, context: Context) -> pb.GetUserResponse:
        return pb.GetUserResponse(user=user_message(await self._users.get(current_actor(), request.user_id)))

    @rpc(roles=STAFF_AND_PARTNERS)
    async def FindUser(self, request: pb.FindUserRequest, context: Context) -> pb.FindUserResponse:
        user = await self._users.find(current_actor(), PLATFORMS.get(request.platform), request.external_id)
        return pb.FindUserResponse(user=user_message(user))

    @rpc(roles=STAFF)
    async def ListUsers(self, request: pb.ListUsersRequest, context: Context) -> pb.ListUsersResponse:
        v = Violations()
        platform = enum_filter(PLATFORMS, request.platform, "platform", v)
        bot_blocked = request.bot_blocked if request.HasField("bot_blocked") else None
        users, token = await self._users.list_users(
            current_actor(), request.query, platform, request.page_size, request.page_token, v, bot_blocked=bot_blocked
        )
        return pb.ListUsersResponse(users=[user_message(u) for u in users], next_page_token=token)

    @rpc(roles=STAFF_AND_PARTNERS, mutation=True)
    async def UpdateUser(self, request: pb.UpdateUserRequest, context: Context) -> pb.UpdateUserResponse:
        profile = Profile(
            username=request.username,
            first_name=request.first_name,
            last_name=request.last_name,
            language_code=request.language_code,
            blocked=request.blocked,
        )
        user = await self._users.update(current_actor(), request.user_id, profile, mask_paths(request.update_mask))
        return pb.UpdateUserResponse(user=user_message(user))

    @rpc(roles=STAFF, mutation=True)
    async def SetUserBotBlocked(
        self, request: pb.SetUserBotBlockedRequest, context: Context
    ) -> pb.SetUserBotBlockedResponse:
        user = await self._users.set_bot_blocked(current_actor(), request.user_id, request.bot_blocked)
        return pb.SetUserBotBlockedResponse(user=user_message(user))

    @rpc(roles=STAFF)
    async def ExportUsers(
        self, request: pb.ExportUsersRequest, context: Context
    ) -> AsyncIterator[pb.ExportUsersResponse]:
        v = Violations()
        start = optional_time(request.start_time, request.HasField("start_time"), "start_time", v)
        end = optional_time(request.end_time, request.HasField("end_time"), "end_time", v)
        async for batch in self._users.export(current_actor(), start, end, v):
            yield pb.ExportUsersResponse(users=[user_message(u) for u in batch])
