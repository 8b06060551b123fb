# Managed by Pagoda: {{ unit.name }}. Edits here are overwritten.
[Unit]
Description={{ unit.description }}
{% if #unit.after > 0 then %}
After={{! table.concat(unit.after, " ") }}
{% end %}
{% if #unit.wants > 0 then %}
Wants={{! table.concat(unit.wants, " ") }}
{% end %}

[Service]
Type={{ unit.type }}
ExecStart={{! unit.execStart }}
{% if unit.workingDirectory then %}
WorkingDirectory={{ unit.workingDirectory }}
{% end %}
{% if unit.user then %}
User={{ unit.user }}
{% end %}
{% if unit.group then %}
Group={{ unit.group }}
{% end %}
{% for _, e in ipairs(unit.environment) do %}
Environment={{! e }}
{% end %}
Restart={{ unit.restart }}
{% if not unit.job then %}
RestartSec={{ unit.restartSec }}
{% end %}
{% for _, h in ipairs(unit.hardening) do %}
{{ h[1] }}={{ h[2] }}
{% end %}
{% if not unit.job then %}

[Install]
WantedBy={{ unit.wantedBy }}
{% end %}
