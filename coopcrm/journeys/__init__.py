"""Key contact moments along each member's track."""
