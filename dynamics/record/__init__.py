"""The clinician's record: annotations written into a case file as inserted text, atomically and locked."""
