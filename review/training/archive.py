"""Model archives: content hash, integrity check, Rasa's model id, listings."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from review.training.errors import ModelCorrupt, ModelNotFound

SUFFIX = ".tar.gz"
_METADATA = "metadata.json"


@dataclass(frozen=True)
class ModelInfo:
    """One model archive as staff see it in a listing."""

    name: str
    path: Path
    size: int
    modified: dt.datetime


def sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_id(path: Path) -> str:
    """Rasa's ``model_id`` (what ``GET /status`` reports), after a full check.

    Raises:
        ModelNotFound: No such file.
        ModelCorrupt: The archive is truncated or damaged, or has no metadata.
    """
    if not path.is_file():
        raise ModelNotFound(f"找不到模型文件 {path.name}。")
    metadata: dict[str, object] | None = None
    try:
        with tarfile.open(path, "r:gz") as archive:
            # Reading every member is what finds a truncated archive.
            for member in archive:
                handle = archive.extractfile(member) if member.isfile() else None
                if handle is None:
                    continue
                content = handle.read()
                if member.name.lstrip("./") == _METADATA:
                    metadata = json.loads(content)
    except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as exc:
        raise ModelCorrupt(
            f"模型文件 {path.name} 已损坏（压缩包不完整或格式错误），不能使用。"
        ) from exc
    identifier = (metadata or {}).get("model_id")
    if not isinstance(identifier, str) or not identifier:
        raise ModelCorrupt(f"模型文件 {path.name} 不是有效的 Rasa 模型（缺少元数据）。")
    return identifier


def find(directory: Path, name: str) -> Path:
    """The archive ``name`` in ``directory`` (no paths outside it).

    Raises:
        ModelNotFound: Not there, or the name tries to leave the folder.
    """
    if Path(name).name != name or not name.endswith(SUFFIX):
        raise ModelNotFound(f"模型名称无效：{name}")
    path = directory / name
    if not path.is_file():
        raise ModelNotFound(f"找不到模型 {name}。")
    return path


def listing(directory: Path) -> list[ModelInfo]:
    """Archives in a folder, newest (the one Rasa serves on restart) first."""
    if not directory.is_dir():
        return []
    infos = []
    for path in directory.glob(f"*{SUFFIX}"):
        stat = path.stat()
        infos.append(
            ModelInfo(
                name=path.name,
                path=path,
                size=stat.st_size,
                modified=dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc),
            )
        )
    return sorted(infos, key=lambda info: info.modified, reverse=True)


def newest(directory: Path) -> Path | None:
    """The archive Rasa picks from a folder (newest modification time)."""
    models = listing(directory)
    return models[0].path if models else None
