# Managed by Pagoda: {{ timer.name }}. Edits here are overwritten.
[Unit]
Description=Schedule of {{ timer.service }}

[Timer]
OnCalendar={{ timer.calendar }}
Unit={{ timer.service }}
Persistent={% if timer.persistent then %}true{% else %}false{% end %}
RandomizedDelaySec={{ timer.delay }}
AccuracySec={{ timer.accuracy }}

[Install]
WantedBy=timers.target
