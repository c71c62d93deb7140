"""OpenSSL, the independent reader the interop tests hold ikesim's files against."""

from __future__ import annotations

import shutil

import pytest

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed "
                                   "(.ci/run installs Debian's openssl)")
