"""nbgrader with ngshare as its exchange, in every single-user pod (/etc/jupyter/).

Mounted by hub/k8s/ngshare-exchange.yaml (singleuser.extraFiles); needs the ngshare_exchange
package in the image (docs/deploy.md).
"""

from ngshare_exchange import configureExchange

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

configureExchange(c, "http://ngshare:8080/services/ngshare")
c.CourseDirectory.course_id = "cnn-course"
