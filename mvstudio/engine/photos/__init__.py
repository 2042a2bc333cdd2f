"""Photo-library videos: import a library, measure and group its photos, choose the best for each
clip (offline, by scene template, or ranked by a vision model) and plan to a scene template.

``library`` (import, cache, EXIF) → ``quality`` + ``phash`` (measures, near-duplicate groups) →
``selection`` (one photo or a first/last pair per clip) with ``templates`` (what each scene
wants) or ``vision`` (an OpenAI model's ranking); ``template_plan`` plans a template video and
its soundtrack; ``mode`` keeps a project's photo settings and choices and holds the edits.
"""
