"""What a step looks like, without Textual.

The snapshot of a step (snapshot.py, and host_snapshot.py for a real process), the
driver that moves a scenario's player and builds those snapshots on a worker thread
(driver.py), and the translation table for vmtui's own words (i18n.py, i18n_zh.py).
The Textual app in vmtui/ui draws these; `vmtui run`, `vmtui slides` and `vmtui shot`
use them too, so nothing here imports Textual (tests/test_architecture.py checks).
"""
