"""The device world: devices with their kmd, Quick Mode, pkid, enrollment, DPD and traffic,
the network, NAT and the CRL/SCEP/OCSP servers. The only code that knows how time passes and
how packets are delivered (SimPy); below it, sim.topology, sim.junos, sim.ike and pki know
neither. It records what happened as plain data (sim.world.results and the *_records,
*_results modules) for sim.report to read."""
