"""Benchmarks are built once per process while their data stay as they were."""
import os

from mousescore import config, get_registry
from mousescore.scoring.benchmark_cache import built_benchmark


def test_a_benchmark_is_built_once_until_its_packaged_data_change(real_data, fresh_home):
    registry = get_registry()
    first = built_benchmark(registry, "kriegeskorte2008.IT-rsa")      # packages the dataset
    second = built_benchmark(registry, "kriegeskorte2008.IT-rsa")
    assert built_benchmark(registry, "kriegeskorte2008.IT-rsa") is second
    packaged = next(path for path in (fresh_home / "packaged").rglob("*") if path.is_file())
    stat = packaged.stat()
    os.utime(packaged, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))   # a repackaged file
    rebuilt = built_benchmark(registry, "kriegeskorte2008.IT-rsa")
    assert rebuilt is not second and rebuilt.identifier == first.identifier
    with config.override(caches=False):                                # verify: always afresh
        assert built_benchmark(registry, "kriegeskorte2008.IT-rsa") is not rebuilt
