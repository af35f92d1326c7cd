"""glibc 2.31 malloc (malloc/malloc.c): M_MMAP_THRESHOLD only decides in sysmalloc(), once the
bins and the top chunk could not serve the request."""

from __future__ import annotations

from tests.conftest import run_json
from tests.engine.conftest import hexval


class TestThresholdOnlyInSysmalloc:
    def test_large_request_that_fits_the_top_chunk_comes_from_the_heap(self, capsys):
        """GIVEN malloc(100) made a heap of 132K (request + M_TOP_PAD), so its top chunk has
        about 131K free WHEN malloc(130K) asks for more than M_MMAP_THRESHOLD (128K)
        THEN _int_malloc cuts it from the top chunk (use_top): it is inside the heap, no
        mmap happens and the maps do not change."""
        steps = run_json(capsys, "p = malloc 100; q = malloc 130K; b1 = sbrk 0")
        p, q, brk = hexval(steps[0]), hexval(steps[1]), hexval(steps[2])
        assert p < q < brk
        assert q + 130 * 1024 <= brk
        assert steps[1]["maps"] == steps[0]["maps"]

    def test_large_request_that_does_not_fit_gets_its_own_mapping(self, capsys):
        """malloc(1M) after that does not fit the top chunk: sysmalloc mmaps it (the oracle's
        'malloc(1M) is a mapping of its own')."""
        steps = run_json(capsys, "p = malloc 100; q = malloc 1M; b1 = sbrk 0")
        q, brk = hexval(steps[1]), hexval(steps[2])
        assert q > brk
