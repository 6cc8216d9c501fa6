from setuptools import find_packages, setup

package_name = 'berntsen_care'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    include_package_data=True,
    package_data={package_name: ['templates/*', 'static/*', 'alembic.ini',
                                 'migrations/*.py', 'migrations/versions/*.py']},
    data_files=[
        ('share/ament_index/resource_index/packages', [f'resource/{package_name}']),
        (f'share/{package_name}', ['package.xml']),
    ],
    install_requires=['setuptools'],
    extras_require={'test': ['pytest']},
    zip_safe=False,
    maintainer='Berntsen developers',
    maintainer_email='dev@berntsen.invalid',
    description="The care team's service: alerts, progress and programmes of many robots.",
    license='Apache-2.0',
)
