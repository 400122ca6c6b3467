"""Hourly load: extract → Snowflake raw → dbt run."""
SCHEDULE = "@hourly"
