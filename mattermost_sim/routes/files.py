"""REST routes: file uploads, downloads and file infos."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from aiohttp import BodyPartReader, web

from ..app import current_user, sim_of
from ..errors import AppError, forbidden, not_found
from ..models import Channel, FileInfo, User
from ..state import SimState
from ._json import ID, invalid_body_param, is_valid_id, json_response, path_id

FILE = f"/api/v4/files/{{file_id:{ID}}}"
MAX_FILE_BYTES = 100 * 1024 * 1024  # FileSettings.MaxFileSize
OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True)
class Upload:
    """One uploaded file before it is stored."""

    name: str
    content_type: str
    data: bytes


def _mime_type(name: str, declared: str) -> str:
    """The type Mattermost records: by extension first, then what the client declared."""
    guessed, _ = mimetypes.guess_type(name)
    return guessed or declared or OCTET_STREAM


def _too_large() -> AppError:
    return AppError(
        413, "api.file.upload_file.too_large_detailed.app_error", "Unable to upload file. File is too large."
    )


async def _read_multipart(request: web.Request) -> tuple[str, list[Upload], list[str]]:
    """``channel_id``, the ``files`` parts and ``client_ids`` of a multipart upload."""
    channel_id = request.query.get("channel_id", "")
    uploads: list[Upload] = []
    client_ids: list[str] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "files":
            data = await part.read(decode=True)
            if len(data) > MAX_FILE_BYTES:
                raise _too_large()
            name = part.filename or "file"
            uploads.append(Upload(name, part.headers.get("Content-Type", ""), bytes(data)))
        elif part.name == "channel_id":
            channel_id = (await part.text()).strip()
        elif part.name == "client_ids":
            client_ids.append((await part.text()).strip())
    return channel_id, uploads, client_ids


async def _read_raw(request: web.Request) -> tuple[str, list[Upload], list[str]]:
    """A single file sent as the whole body, named by ``?filename=``."""
    name = request.query.get("filename", "")
    if not name:
        raise invalid_body_param("filename")
    data = await request.read()
    if len(data) > MAX_FILE_BYTES:
        raise _too_large()
    return request.query.get("channel_id", ""), [Upload(name, request.content_type, data)], []


def _upload_channel(state: SimState, user: User, channel_id: str) -> Channel:
    """The channel to upload to: ``upload_file`` means channel members (and admins)."""
    if not is_valid_id(channel_id):
        raise invalid_body_param("channel_id")
    channel = state.channels.get(channel_id)
    if channel is None or not (user.is_system_admin or user.id in channel.members):
        raise forbidden("upload_file")
    return channel


async def upload_files(request: web.Request) -> web.Response:
    """POST /files: multipart ``channel_id`` + one or more ``files``; 201 with their infos."""
    user = current_user(request)
    if request.content_type.startswith("multipart/"):
        channel_id, uploads, client_ids = await _read_multipart(request)
    else:
        channel_id, uploads, client_ids = await _read_raw(request)
    state = sim_of(request).state
    channel = _upload_channel(state, user, channel_id)
    if not uploads:
        raise AppError(
            400, "api.file.upload_file.incorrect_number_of_files.app_error", "Unable to upload files."
        )
    if client_ids and len(client_ids) != len(uploads):
        raise AppError(
            400, "api.file.upload_file.incorrect_number_of_client_ids.app_error", "Unable to upload files."
        )
    infos = [
        state.save_file(user, channel, u.name, _mime_type(u.name, u.content_type), u.data) for u in uploads
    ]
    return json_response(
        {"file_infos": [info.to_json() for info in infos], "client_ids": client_ids}, status=201
    )


def _readable_file(request: web.Request, user: User) -> FileInfo:
    """A file the user may read: its uploader, or readers of the channel of the post it is on."""
    state = sim_of(request).state
    info = state.files.get(path_id(request, "file_id"))
    if info is None:
        raise not_found("app.file_info.get.app_error", "Unable to get the file info.")
    if info.user_id == user.id:
        return info
    post = state.posts.get(info.post_id) if info.post_id else None
    channel = state.channels.get(post.channel_id) if post is not None else None
    if channel is None or not state.can_read_channel(user, channel):
        raise forbidden("read_channel_content")
    return info


async def get_file(request: web.Request) -> web.Response:
    """GET /files/{file_id}: the bytes, with the file's content type."""
    info = _readable_file(request, current_user(request))
    safe_name = info.name.replace('"', "_")
    disposition = "inline" if info.mime_type.startswith(("image/", "video/", "audio/")) else "attachment"
    return web.Response(
        body=info.data,
        content_type=info.mime_type,
        headers={
            "Content-Disposition": f'{disposition};filename="{safe_name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


async def get_file_info(request: web.Request) -> web.Response:
    """GET /files/{file_id}/info."""
    return json_response(_readable_file(request, current_user(request)).to_json())


def register(app: web.Application) -> None:
    """Add this area's routes to the application."""
    app.router.add_post("/api/v4/files", upload_files)
    app.router.add_get(FILE, get_file)
    app.router.add_get(f"{FILE}/info", get_file_info)
