"""The simulated medical-insurance agency (医保经办机构): its own process, HTTP API, clock and
SQLite store.

It takes the UI agency's monthly declaration batches (enrol, monthly premium, stop) once per
batch key, answers each line (accepted, or rejected with a reason; a duplicate premium
reported), at once or late (a signed webhook, and on request), and keeps its register of
each person's covered months. Start it with `python -m medagency`; `create_agency_app`
builds the FastAPI app for tests.
"""
