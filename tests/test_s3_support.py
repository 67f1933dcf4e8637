"""Where Ceph cannot be installed the S3 tests skip, and say why and how to install it."""

import pytest

from support import s3


def test_without_ceph_the_s3_tests_skip_with_the_reason(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no ceph-mon, ceph-osd or radosgw on it
    with pytest.raises(pytest.skip.Exception) as skipped:
        next(s3.start_ceph(tmp_path / "ceph"))
    message = str(skipped.value)
    assert "not installed" in message and "ceph-mon ceph-osd radosgw" in message
    assert not (tmp_path / "ceph").exists()
