"""bench train: one real training step of a scaled-down variant, timed and reported."""
from s5trainer.bench_train import DEFAULT_ARCHS, bench_arch


def test_bench_reports_throughput():
    tiny = {"sample_rate": 8000, "n_fft": 256, "hop": 64, "widths": [8, 16], "pools": [[2, 2], [2, 2]], "cond_dim": 16}
    r = bench_arch("sep-small-16k", "cpu", batch_size=2, seconds=0.5, steps=1, warmup=1, overrides=tiny)
    assert r["kind"] == "separator" and r["steps_per_s"] > 0
    assert abs(r["samples_per_s"] - 2 * r["steps_per_s"]) < 0.01
    t = bench_arch("tag-small", "cpu", batch_size=2, seconds=0.5, steps=1, warmup=0,
                   overrides={"widths": [8, 16], "convs": [1, 1], "n_mels": 16})
    assert t["kind"] == "tagger" and t["params"] > 0
    assert set(DEFAULT_ARCHS) == {"sep-small-16k", "sep-small-32k", "tag-small", "tag-small-32k"}
