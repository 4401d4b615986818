"""The check-before-you-send web page (``edurollup serve``): clerks' personal links,
upload -> every problem in seconds, submit into the same intake as e-mail; the office's
live status page. ``links`` and ``settings`` import no web framework, so the template
writer and the reply e-mails can show a clerk's link without one."""
