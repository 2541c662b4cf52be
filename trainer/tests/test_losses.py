"""Loss functions: SNR golden value, slot masking, class-aware PIT, single-query, tagger losses."""
import itertools

import pytest
import torch

from s5trainer import losses


def test_snr_matches_torchmetrics_example():
    est = torch.tensor([2.5, 0.0, 2.0, 8.0])
    ref = torch.tensor([3.0, -0.5, 2.0, 7.0])
    assert float(losses.snr(est, ref)) == pytest.approx(16.1805, abs=1e-4)


def test_masked_loss_counts_silence_slots_in_the_denominator():
    g = torch.Generator().manual_seed(0)
    ref = torch.randn(2, 3, 64, generator=g)
    est = ref + 0.1 * torch.randn(2, 3, 64, generator=g)
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    expected = -(losses.snr(est, ref) * mask).sum() / 6
    assert float(losses.multisrc_neg_snr(est, ref, mask)) == pytest.approx(float(expected), rel=1e-6)


def _scene():
    g = torch.Generator().manual_seed(1)
    a, b, c = torch.randn(3, 128, generator=g)
    return a, b, c


def test_pit_swaps_same_class_slots_only():
    a, b, c = _scene()
    speech, dishes = 15, 7
    ref = torch.stack([a, b, c])[None]
    swapped = torch.stack([b, a, c])[None] + 0.01
    same = torch.tensor([[speech, speech, dishes]])
    loss, perm = losses.class_aware_pit_neg_snr(swapped, ref, same)
    assert perm.tolist() == [[1, 0, 2]]
    aligned = losses.multisrc_neg_snr(torch.stack([a, b, c])[None] + 0.01, ref, torch.ones(1, 3))
    assert float(loss) == pytest.approx(float(aligned), rel=1e-5)
    # different classes never swap, whatever the SNR says
    different = torch.tensor([[speech, dishes, -1]])
    loss2, perm2 = losses.class_aware_pit_neg_snr(swapped, ref, different)
    assert perm2.tolist() == [[0, 1, 2]]
    plain = losses.multisrc_neg_snr(swapped, ref, (different >= 0).float())
    assert float(loss2) == pytest.approx(float(plain), rel=1e-6)


def test_pit_picks_the_best_of_three_duplicates_and_passes_gradients():
    a, b, c = _scene()
    ref = torch.stack([a, b, c])[None]
    labels = torch.tensor([[4, 4, 4]])
    for p in itertools.permutations(range(3)):
        est = ref[:, list(p)].clone().requires_grad_(True)
        loss, perm = losses.class_aware_pit_neg_snr(est + 0.05, ref, labels)
        assert [p[i] for i in range(3)] == perm[0].tolist()
        loss.backward()
        assert est.grad is not None and torch.isfinite(est.grad).all()


def test_query_loss_uses_the_best_reference_of_the_queried_class():
    a, b, c = _scene()
    refs = torch.stack([torch.stack([a, b, c]), torch.stack([a, b, c])])
    est = torch.stack([b + 0.01, c])
    match = torch.tensor([[True, True, False], [False, False, False]])   # item 1: nothing to match
    expected = -losses.snr(b + 0.01, b)
    assert float(losses.query_neg_snr(est, refs, match)) == pytest.approx(float(expected), rel=1e-6)


def test_tagger_losses():
    probs = torch.tensor([[0.9, 0.1, 0.5]])
    target = torch.tensor([[1.0, 0.0, 1.0]])
    ref = torch.nn.functional.binary_cross_entropy(probs, target)
    assert float(losses.multilabel_bce(probs, target)) == pytest.approx(float(ref), rel=1e-6)
    g = torch.Generator().manual_seed(2)
    p = torch.softmax(torch.randn(2, 3, 19, generator=g), -1)
    t = torch.tensor([[3, 18, 5], [18, 18, 0]])
    base = losses.pit_slot_cross_entropy(p, t)
    assert float(losses.pit_slot_cross_entropy(p[:, [2, 0, 1]], t)) == pytest.approx(float(base), rel=1e-6)
    exact = -torch.log(p[0, [0, 1, 2], [3, 18, 5]]).mean()
    assert float(losses.pit_slot_cross_entropy(p[:1], t[:1])) <= float(exact) + 1e-6
