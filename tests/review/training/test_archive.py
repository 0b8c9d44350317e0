"""Model archives: integrity, Rasa's model id, listings, names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from review.training import archive
from review.training.errors import ModelCorrupt, ModelNotFound
from tests.e2e.stack import newest_model


def test_a_real_model_has_its_model_id() -> None:
    identifier = archive.model_id(Path(newest_model()))
    assert len(identifier) == 32


@pytest.mark.parametrize("keep", [0.99, 0.5, 0.01])
def test_a_truncated_model_is_corrupt(tmp_path: Path, keep: float) -> None:
    real = Path(newest_model()).read_bytes()
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(real[: int(len(real) * keep)])
    with pytest.raises(ModelCorrupt, match="已损坏"):
        archive.model_id(broken)


def test_a_tar_without_metadata_is_not_a_model(tmp_path: Path) -> None:
    import tarfile

    (tmp_path / "x.txt").write_text("x")
    path = tmp_path / "other.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tmp_path / "x.txt", arcname="x.txt")
    with pytest.raises(ModelCorrupt, match="缺少元数据"):
        archive.model_id(path)


def test_names_cannot_leave_the_folder(tmp_path: Path) -> None:
    for name in ("../x.tar.gz", "a/b.tar.gz", "model.zip", "missing.tar.gz"):
        with pytest.raises(ModelNotFound):
            archive.find(tmp_path, name)


def test_listing_is_newest_first(tmp_path: Path) -> None:
    for i, name in enumerate(("a.tar.gz", "b.tar.gz", "c.tar.gz")):
        path = tmp_path / name
        path.write_bytes(b"x")
        os.utime(path, (1000 + i, 1000 + (2 - i) * 10))
    assert [m.name for m in archive.listing(tmp_path)] == [
        "a.tar.gz",
        "b.tar.gz",
        "c.tar.gz",
    ]
    assert archive.newest(tmp_path) == tmp_path / "a.tar.gz"
    assert archive.listing(tmp_path / "none") == []
