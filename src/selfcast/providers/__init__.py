"""What every HTTP provider shares (speech, recognition, chat models, images): ``http``.

The vendors themselves live with their kind: ``selfcast.voice.providers``,
``selfcast.hearing.asr``, ``selfcast.brain.providers`` and ``selfcast.avatar.images``.
"""
