"""The Qt-free engine: model, analysis, planning, generation, rendering and storage."""
