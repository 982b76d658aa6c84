// Datasets: filled in by the formats helper (delete this file when adding real sources).
