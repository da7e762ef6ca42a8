"""Reference numbers for ZooMetrics' reader statistics, computed with numpy from their closed
forms, independently of Zoo's loops:
- decision curves (Vickers and Elkin 2006): NB(pt) = TP/n - FP/n * pt/(1-pt) (score >= pt is
  positive), treat all = prevalence - (1 - prevalence) * pt/(1-pt); <out>/dca.json;
- Cohen's kappa of two readers and Fleiss' kappa of three, from contingency tables;
  <out>/kappa.json."""
import json
import sys
from pathlib import Path

import numpy as np

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20061101)
n = 300
labels = (rng.random(n) < 0.3).astype(int)
scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.18), 0.001, 0.999).round(6)
thresholds = np.arange(1, 100) / 100
called = scores[None, :] >= thresholds[:, None]
tp = (called & (labels[None, :] == 1)).sum(axis=1)
fp = (called & (labels[None, :] == 0)).sum(axis=1)
odds = thresholds / (1 - thresholds)
model = tp / n - fp / n * odds
prevalence = labels.mean()
treat_all = prevalence - (1 - prevalence) * odds
(out / "dca.json").write_text(json.dumps({
    "scores": scores.tolist(), "labels": labels.tolist(), "thresholds": thresholds.tolist(),
    "model": model.tolist(), "treat_all": treat_all.tolist()}))

reads = (rng.random((3, 120)) < np.array([[0.35], [0.4], [0.3]])).astype(int)
# Reader 2 agrees with reader 1 more often than chance.
agree = rng.random(120) < 0.6
reads[1, agree] = reads[0, agree]
table = np.zeros((2, 2))
for a, b in zip(reads[0], reads[1]):
    table[a, b] += 1
n = table.sum()
observed = np.trace(table) / n
expected = (table.sum(axis=1) / n) @ (table.sum(axis=0) / n)
cohen = (observed - expected) / (1 - expected)
counts = np.stack([(reads == c).sum(axis=0) for c in (0, 1)], axis=1)  # cases x categories
m = reads.shape[0]
p_i = ((counts ** 2).sum(axis=1) - m) / (m * (m - 1))
p_j = counts.sum(axis=0) / (counts.shape[0] * m)
fleiss = (p_i.mean() - (p_j ** 2).sum()) / (1 - (p_j ** 2).sum())
(out / "kappa.json").write_text(json.dumps({"reads": reads.tolist(), "cohen_01": cohen, "fleiss": fleiss}))
