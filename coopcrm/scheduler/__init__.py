"""The scheduler: one registry of periodic jobs, run by `coopcrm scheduler` or `jobs run-due`.

Every job is "select what is due → act → commit", safe to run twice and late:
the exactly-once guarantee lives in each domain's own tables. job_runs adds a
claim so that two processes given the same `now` run a job once, not twice.
"""
