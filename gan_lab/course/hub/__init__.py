"""The course on a JupyterHub: one machine serving a class (``deploy/jupyterhub/``).

``settings`` (where everything lives), ``accounts`` (roles as Unix groups), ``environments``
(the staff's and the students' Python environments), ``provision`` (``gan-lab hub setup`` and
``next-lab``), ``checks`` (what is wrong with a server) and ``spawn`` (JupyterHub's hooks).
"""
