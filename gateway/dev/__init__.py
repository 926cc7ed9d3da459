"""Development tools: the demo, a private MariaDB/MySQL server, VICIdial sample data."""
