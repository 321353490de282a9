"""JSON representations of Drive resources (the `File`, `FileList`, `About` schemas)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .state import DriveFile, Store, User

# Fields a files.get/create/update answers with when the request has no `fields`.
DEFAULT_FILE_FIELDS = ("kind", "id", "name", "mimeType")

FILE_FIELDS = {
    "kind",
    "id",
    "name",
    "mimeType",
    "description",
    "starred",
    "trashed",
    "explicitlyTrashed",
    "trashedTime",
    "parents",
    "properties",
    "appProperties",
    "spaces",
    "version",
    "webContentLink",
    "webViewLink",
    "iconLink",
    "hasThumbnail",
    "thumbnailVersion",
    "viewedByMe",
    "viewedByMeTime",
    "createdTime",
    "modifiedTime",
    "modifiedByMeTime",
    "modifiedByMe",
    "owners",
    "lastModifyingUser",
    "shared",
    "ownedByMe",
    "capabilities",
    "viewersCanCopyContent",
    "copyRequiresWriterPermission",
    "writersCanShare",
    "permissions",
    "permissionIds",
    "hasAugmentedPermissions",
    "folderColorRgb",
    "originalFilename",
    "fullFileExtension",
    "fileExtension",
    "md5Checksum",
    "sha1Checksum",
    "sha256Checksum",
    "size",
    "quotaBytesUsed",
    "headRevisionId",
    "isAppAuthorized",
    "exportLinks",
    "shortcutDetails",
    "contentRestrictions",
    "resourceKey",
    "linkShareMetadata",
    "labelInfo",
    "driveId",
    "teamDriveId",
    "sharingUser",
    "imageMediaMetadata",
    "videoMediaMetadata",
    "contentHints",
    "inheritedPermissionsDisabled",
    "downloadRestrictions",
}

FILE_LIST_FIELDS = {"kind", "nextPageToken", "incompleteSearch", "files"}
ABOUT_FIELDS = {
    "kind",
    "user",
    "storageQuota",
    "importFormats",
    "exportFormats",
    "maxImportSizes",
    "maxUploadSize",
    "appInstalled",
    "folderColorPalette",
    "driveThemes",
    "canCreateDrives",
    "canCreateTeamDrives",
    "teamDriveThemes",
}
GENERATED_IDS_FIELDS = {"kind", "space", "ids"}


def rfc3339(timestamp: float) -> str:
    """Drive's timestamp format: UTC with milliseconds, e.g. 2026-11-23T02:00:13.123Z."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def user_resource(user: User) -> dict[str, Any]:
    return {
        "kind": "drive#user",
        "displayName": user.name,
        "photoLink": "https://lh3.googleusercontent.com/a/default-user=s64",
        "me": True,
        "permissionId": user.permission_id,
        "emailAddress": user.email,
    }


def file_resource(file: DriveFile, store: Store, client_id: str | None) -> dict[str, Any]:
    """The complete File resource as seen by `client_id` (appProperties are per client)."""
    owner = store.users.get(file.owner)
    resource: dict[str, Any] = {
        "kind": "drive#file",
        "id": file.id,
        "name": file.name,
        "mimeType": file.mime_type,
        "starred": file.starred,
        "trashed": file.trashed,
        "explicitlyTrashed": file.explicitly_trashed,
        "parents": list(file.parents),
        "spaces": ["drive"],
        "version": str(file.version),
        "webViewLink": _web_view_link(file),
        "iconLink": f"https://drive-thirdparty.googleusercontent.com/16/type/{file.mime_type}",
        "hasThumbnail": False,
        "viewedByMe": True,
        "createdTime": rfc3339(file.created_time),
        "modifiedTime": rfc3339(file.modified_time),
        "modifiedByMeTime": rfc3339(file.modified_time),
        "modifiedByMe": True,
        "owners": [user_resource(owner)] if owner else [],
        "lastModifyingUser": user_resource(owner) if owner else {},
        "shared": False,
        "ownedByMe": True,
        "isAppAuthorized": client_id is not None and file.created_by_client == client_id,
        "quotaBytesUsed": str(file.size),
        "capabilities": _capabilities(file),
    }
    if not file.parents:
        resource.pop("parents")
    if file.description is not None:
        resource["description"] = file.description
    if file.trashed_time is not None:
        resource["trashedTime"] = rfc3339(file.trashed_time)
    if file.properties:
        resource["properties"] = dict(file.properties)
    own_app_properties = file.app_properties.get(client_id or "", {})
    if own_app_properties:
        resource["appProperties"] = dict(own_app_properties)
    if not file.is_folder:
        resource.update(_content_fields(file))
    return resource


def _content_fields(file: DriveFile) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "size": str(file.size),
        "md5Checksum": file.md5 or "d41d8cd98f00b204e9800998ecf8427e",
        "sha256Checksum": file.sha256
        or "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "headRevisionId": f"0B{file.id[1:12]}{file.version:04d}",
        "webContentLink": f"https://drive.google.com/uc?id={file.id}&export=download",
        "originalFilename": file.original_filename or file.name,
    }
    if "." in file.name:
        fields["fullFileExtension"] = file.name.split(".", 1)[1]
        fields["fileExtension"] = file.name.rsplit(".", 1)[1]
    return fields


def _web_view_link(file: DriveFile) -> str:
    if file.is_folder:
        return f"https://drive.google.com/drive/folders/{file.id}"
    return f"https://drive.google.com/file/d/{file.id}/view?usp=drivesdk"


def _capabilities(file: DriveFile) -> dict[str, bool]:
    return {
        "canAddChildren": file.is_folder,
        "canDelete": True,
        "canDownload": not file.is_folder,
        "canEdit": True,
        "canRename": True,
        "canTrash": True,
        "canUntrash": True,
    }
