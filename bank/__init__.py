"""The simulated paying bank (代发银行): its own process, HTTP API, clock and SQLite store.

It accepts ISO 20022 pain.001 credit transfers, settles them after a delay on its clock,
returns some (closed, blocked or invalid accounts), reports status as signed pain.002
webhooks (and on request), and serves daily camt.053 statements. Start it with
`python -m bank`; `create_bank_app` builds the FastAPI app for tests.
"""
