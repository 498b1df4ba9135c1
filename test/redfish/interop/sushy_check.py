"""Ironic's Redfish library drives one BMC: read the system, power on and off, set and read the
boot override. URL and user in argv, password in REDFISH_PASSWORD (never argv), the BMC's
certificate in the file REDFISH_CA. Prints JSON lines."""
import json
import os
import sys
import urllib3

import sushy

urllib3.disable_warnings()
url, user = sys.argv[1], sys.argv[2]
# The lab BMC's self-signed certificate is the trust anchor, as an operator pins a BMC's own.
root = sushy.Sushy(url, username=user, password=os.environ["REDFISH_PASSWORD"], verify=os.environ["REDFISH_CA"])
members = root.get_system_collection().get_members()
system = members[0]


def state(step):
    system.refresh()
    boot = system.boot
    print(json.dumps({
        "step": step,
        "identity": system.identity,
        "path": system.path,
        "power": str(system.power_state.value if hasattr(system.power_state, "value") else system.power_state),
        "target": str(boot.target.value if hasattr(boot.target, "value") else boot.target),
        "enabled": str(boot.enabled.value if hasattr(boot.enabled, "value") else boot.enabled),
        "mode": str(boot.mode.value if hasattr(boot.mode, "value") else boot.mode),
        "resets": sorted(str(v.value if hasattr(v, "value") else v) for v in system.get_allowed_reset_system_values()),
    }), flush=True)


state("read")
system.reset_system(sushy.ResetType("On"))
state("on")
system.set_system_boot_options(
    target=sushy.BootSource("Pxe"),
    enabled=sushy.BootSourceOverrideEnabled("Continuous"),
    mode=sushy.BootSourceOverrideMode("UEFI"),
)
state("boot")
system.reset_system(sushy.ResetType("ForceOff"))
state("off")
