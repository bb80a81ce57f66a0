"""Text shown in a video: read from its frames (`reading`), stored as timed on-screen lines
(videos.models.ScreenTextLine) and indexed for search and chat beside what is said (`indexing`)."""
