"""Decision-curve reference numbers for ZooMetrics' DecisionCurve, computed with numpy
from the closed form of Vickers and Elkin (2006), independently of Zoo's loop:
NB(pt) = TP/n - FP/n * pt/(1-pt) (score >= pt is positive), treat all =
prevalence - (1 - prevalence) * pt/(1-pt). Writes <out>/dca.json with the cases."""
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
