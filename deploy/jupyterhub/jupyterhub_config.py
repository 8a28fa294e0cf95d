"""JupyterHub for one class: PAM accounts, three roles, two environments.

`gan-lab hub setup` copies this file to PREFIX/etc/jupyterhub_config.py and writes the settings
it reads (PREFIX/etc/hub.json, or the file named by GAN_LAB_HUB_SETTINGS). The hub runs as root
from the staff environment:

    PREFIX/envs/staff/bin/jupyterhub -f PREFIX/etc/jupyterhub_config.py

Everything here is JupyterHub's own configuration; what depends on a role lives in
gan_lab.course.hub.spawn.
"""
from gan_lab.course.hub.settings import ROLES, HubSettings
from gan_lab.course.hub.spawn import post_auth_hook, pre_spawn_hook

c = get_config()  # noqa: F821 (JupyterHub defines it when it reads this file)
settings = HubSettings.load()

# --------------------------------------------------------------------------- where it listens
c.JupyterHub.bind_url = settings.bind_url
if settings.subdomain_host:
    # Each user's server on a host of its own (alice.hub.example.edu): one user's pages cannot
    # reach another's, and a staff server may let its own JupyterLab frame formgrader.
    c.JupyterHub.subdomain_host = settings.subdomain_host
c.JupyterHub.db_url = f"sqlite:///{settings.state_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(settings.state_dir / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.command = [settings.proxy_command]
c.ConfigurableHTTPProxy.pid_file = str(settings.state_dir / "jupyterhub-proxy.pid")
c.JupyterHub.cleanup_servers = False  # a hub restart (a new account, a config change) keeps servers

# --------------------------------------------------------------------------- who may log in
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {settings.unix_groups[role] for role in ROLES}
c.PAMAuthenticator.open_sessions = False  # no login session per server (fails in containers)
c.Authenticator.admin_users = set(settings.admin_users)
# The roles are JupyterHub groups (instructors, graders, students), set at every login from the
# account's Unix groups: one source of truth, which also decides file permissions.
c.Authenticator.manage_groups = True
c.Authenticator.post_auth_hook = post_auth_hook(settings)

# --------------------------------------------------------------------------- each user's server
c.Spawner.pre_spawn_hook = pre_spawn_hook(settings)
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120  # four JupyterLabs starting at once on two cores take a while
c.Spawner.http_timeout = 120
